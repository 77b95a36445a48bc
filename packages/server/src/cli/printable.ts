/**
 * `text` fit for a terminal line: every control character (C0, DEL, C1, and the Unicode line
 * and paragraph separators) written as a `\uXXXX` escape, so a stored name or request ID cannot
 * move the cursor, recolour the screen or forge a line of output.
 */
export function printable(text: string): string {
  return text.replace(
    /[\p{Cc}\u2028\u2029]/gu,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
