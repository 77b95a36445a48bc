// PostgreSQL for the storage tests: the server at SMSCX_TEST_POSTGRES_URL (default: the local one
// CI starts), a fresh schema per test database, every schema of the run dropped at the end.
// PostgreSQL is required, never skipped: unreachable, the tests fail and say so.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server the tests use. */
export const POSTGRES_URL = process.env.SMSCX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `url` with `?schema=` (and other parameters) set. */
export function withParams(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [key, value] of Object.entries(params)) parsed.searchParams.set(key, value);
  return parsed.toString();
}

/** The schemas of one test run: unique names, dropped together by {@link dropAll}. */
export class PostgresTestSchemas {
  // Random per run: runs on the same database (developers, CI) never meet.
  readonly prefix = `smscx_test_${randomBytes(5).toString('hex')}`;
  private count = 0;

  /** A new schema name, not created yet (opening a storage on it creates it). */
  freshSchema(): string {
    this.count += 1;
    return `${this.prefix}_${this.count}`;
  }

  /** The URL of a new, empty schema. */
  freshUrl(params: Record<string, string> = {}): string {
    return withParams(POSTGRES_URL, { ...params, schema: this.freshSchema() });
  }

  /** Fails with a clear message when the test server is unreachable. */
  async check(): Promise<void> {
    try {
      await this.query('SELECT 1');
    } catch (error) {
      throw new Error(
        `PostgreSQL is required by these tests and is not reachable at ${POSTGRES_URL} ` +
          `(start it, or set SMSCX_TEST_POSTGRES_URL): ${(error as Error).message}`,
      );
    }
  }

  /** Runs one statement on a connection of its own (outside every storage under test). */
  async query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<Row>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Drops every schema of this run (and any a crashed earlier step left of it). */
  async dropAll(): Promise<void> {
    const rows = await this.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 || '\\_%'",
      [this.prefix],
    );
    for (const { nspname } of rows) await this.query(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`);
  }
}
