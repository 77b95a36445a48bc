/** Longest name of an application or an API key, in characters (code points). */
export const MAX_NAME_LENGTH = 100;

/**
 * What is wrong with `name` as the name of an application or an API key, in a few words, or
 * undefined when it is fine. One rule for the CLI and the admin API; callers trim first.
 * Lone surrogates are refused: PostgreSQL's JSON (the audit log) cannot hold them.
 */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if ([...name].length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`;
  if (/\p{Cc}/u.test(name)) return 'must not contain control characters';
  if (/\p{Cs}/u.test(name)) return 'must be valid Unicode text';
  return undefined;
}
