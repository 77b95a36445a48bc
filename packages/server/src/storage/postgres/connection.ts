/**
 * Reading a PostgreSQL URL: which schema it selects, the node-postgres settings it becomes, and
 * how it may be shown. The URL usually carries a password, and a password must never reach a
 * log line or an error message, so everything shown goes through {@link redactDatabaseUrl}.
 *
 * @module
 */
import pg from 'pg';
import { parseUrl, redactDatabaseUrl, secretsOf } from '../database-url.js';

/** The LISTEN/NOTIFY channel of change-log appends (payload: the newest sequence number). */
export const CHANGES_CHANNEL = 'smscx_changes';

// A schema name goes into `search_path` and into CREATE SCHEMA unquoted, so only plain lowercase
// identifiers are accepted: no quoting rules to get wrong, no case folding surprises.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// Cap on waiting for a connection (connect or a free pool slot): an unreachable host fails
// startup with a message instead of hanging it.
const CONNECT_TIMEOUT_MS = 10_000;

/** What {@link postgresSettings} makes of a URL. */
export interface PostgresSettings {
  /** node-postgres client settings (for the pool and the listen connection). */
  readonly client: pg.ClientConfig;
  /** The schema from `?schema=`, created at open when missing; undefined for the default. */
  readonly schema: string | undefined;
}

/**
 * Turns a PostgreSQL URL into node-postgres settings. `?schema=name` selects (and, at open,
 * creates) a schema by setting `search_path`; `?options=-c search_path=...` works as well, for
 * a schema that exists.
 *
 * @throws Error (without the password) when the URL or the schema name is malformed.
 */
export function postgresSettings(url: string): PostgresSettings {
  const parsed = parseUrl(url);
  if (parsed === undefined) throw new Error(`not a valid PostgreSQL URL: ${redactDatabaseUrl(url)}`);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) {
      throw new Error(
        `invalid schema name ${JSON.stringify(schema)} in ${redactDatabaseUrl(url)}: use lowercase letters, digits and _`,
      );
    }
    // node-postgres would ignore an unknown parameter, but the schema goes in as search_path,
    // through the URL because the URL's own parameters override separate settings.
    parsed.searchParams.delete('schema');
    const options = parsed.searchParams.get('options');
    parsed.searchParams.set('options', `${options === null ? '' : `${options} `}-c search_path=${schema}`);
  }
  return {
    schema,
    client: {
      connectionString: parsed.toString(),
      application_name: 'smscx-oauth-server',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Notices a dead peer on an idle connection (the LISTEN one is idle almost always).
      keepAlive: true,
      types: { getTypeParser },
    },
  };
}

// BIGINT (int8) and COUNT(*) arrive as strings by default, since they may exceed 2^53; every
// value here is an epoch-ms timestamp, a sequence number or a count, all far below that.
// Per client, not through pg.types.setTypeParser, which would change every pg user in the process.
const INT8_OID = 20;
const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/** One line saying why opening failed, with the password scrubbed from whatever the driver said. */
export function openFailure(action: string, url: string, error: unknown): Error {
  let reason = describeError(error);
  for (const secret of secretsOf(url)) reason = reason.split(secret).join('***');
  // No `cause`: a logger printing the chain must not find the password in a driver error either.
  return new Error(`${action} PostgreSQL at ${redactDatabaseUrl(url)}: ${reason}`);
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A socket error's code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT) says it all; Node 20 reports a
    // refused `localhost` (IPv6 and IPv4 tried) as an AggregateError with an empty message.
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    if (error.message !== '') return error.message.replace(/\s*\n\s*/g, ' ');
    if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
    return error.name;
  }
  return String(error);
}
