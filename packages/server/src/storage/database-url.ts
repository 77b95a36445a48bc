/**
 * The `--db` value: a SQLite file path or a PostgreSQL URL. Kept apart from the PostgreSQL driver
 * so a command can tell the two apart, and show a URL without its password, without loading it.
 *
 * @module
 */

/** Whether `db` names a PostgreSQL database (`postgres://` or `postgresql://` URL). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(db);
}

/**
 * Returns `url` with its password (in the user info or a `password` query parameter) replaced by
 * `***`. Works on malformed URLs too, erring on the side of hiding more.
 */
export function redactDatabaseUrl(url: string): string {
  const parsed = parseUrl(url);
  if (parsed !== undefined) {
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    // URLSearchParams re-encodes `*`; keep the marker readable.
    return parsed.toString().replace(/password=%2A%2A%2A/g, 'password=***');
  }
  // Not a parseable URL: hide everything from the user name's colon to the last `@` (a password
  // may itself contain `@` or `/`), and any password parameter.
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:).*@/i, '$1***@')
    .replace(/([?&]password=)[^&]*/gi, '$1***');
}

/** The secrets in `url` (password, raw and decoded), to scrub from driver messages. */
export function secretsOf(url: string): string[] {
  const secrets = new Set<string>();
  const parsed = parseUrl(url);
  const add = (secret: string | null | undefined): void => {
    if (secret === null || secret === undefined || secret === '') return;
    secrets.add(secret);
    try {
      secrets.add(decodeURIComponent(secret));
    } catch {
      // Not percent-encoded validly: the raw form is all there is.
    }
  };
  if (parsed !== undefined) {
    add(parsed.password);
    add(parsed.searchParams.get('password'));
  } else {
    add(/^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:(.*)@/i.exec(url)?.[1]);
  }
  return [...secrets];
}

/** `url` parsed, or undefined when it is not a URL. */
export function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
