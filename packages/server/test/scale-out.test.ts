// Several server processes on one database: `serve --workers 2` on SQLite, and two instances ×
// 2 workers on one PostgreSQL schema. Every admin change is in force on every process when the
// command returns: probed at once, many requests on fresh connections across every process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  defaultCredentials,
  requestToken,
  runInProcess,
  startServer,
  type TestApplication,
  type TestServer,
} from './helpers.js';
import { claimsOf, introspect, issueToken } from './lifecycle-helpers.js';
import { PostgresTestSchemas } from './storage-postgres.js';

/** Probes per check: several per worker of every instance, each on a new connection. */
const PROBES = 24;
// The probes of refused credentials come from one IP: room for them in the failure budget.
const GENEROUS_LIMITS = ['--auth-failure-limit', '1000/60'];

/** Runs the admin CLI in process (it opens the same database as the servers); its stdout. */
async function admin(argv: string[]): Promise<string> {
  const result = await runInProcess(argv);
  assert.equal(result.status, 0, `${argv.slice(0, 2).join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Sends {@link PROBES} token requests at once, spread over `urls`; returns their statuses. */
async function probe(
  urls: readonly string[],
  app: Pick<TestApplication, 'application_id' | 'application_secret'>,
) {
  const responses = await Promise.all(
    Array.from({ length: PROBES }, (_, i) => requestToken(urls[i % urls.length]!, app)),
  );
  return responses;
}

async function assertAllStatus(
  urls: readonly string[],
  app: Pick<TestApplication, 'application_id' | 'application_secret'>,
  status: number,
  what: string,
): Promise<void> {
  const statuses = (await probe(urls, app)).map((response) => response.status);
  assert.deepEqual(statuses, Array(PROBES).fill(status), `${what}: ${statuses.join(' ')}`);
}

/**
 * The read-your-writes checks, on whatever processes serve `urls` from `db`: create, disable,
 * enable, rotate the secret, revoke tokens, rotate the signing key, delete.
 */
async function checkEveryChangeInForceOnReturn(urls: readonly string[], dbFlags: string[]): Promise<void> {
  const app = JSON.parse(
    await admin(['apps', 'create', '--name', 'probe', '--json', ...dbFlags]),
  ) as TestApplication;
  await assertAllStatus(urls, app, 200, 'created');

  await admin(['apps', 'disable', app.application_id, ...dbFlags]);
  await assertAllStatus(urls, app, 403, 'disabled');

  await admin(['apps', 'enable', app.application_id, ...dbFlags]);
  await assertAllStatus(urls, app, 200, 'enabled');

  const oldToken = await issueToken(urls[0]!, app);
  const rotated = JSON.parse(
    await admin(['apps', 'rotate-secret', app.application_id, '--json', ...dbFlags]),
  ) as { application_secret: string };
  await assertAllStatus(urls, app, 401, 'old secret after rotate-secret');
  const current = { ...app, application_secret: rotated.application_secret };
  await assertAllStatus(urls, current, 200, 'new secret after rotate-secret');

  await admin(['apps', 'revoke-tokens', app.application_id, ...dbFlags]);
  const activity = await Promise.all(
    Array.from({ length: PROBES }, (_, i) => introspect(urls[i % urls.length]!, current, oldToken)),
  );
  assert.deepEqual(
    activity.map((body) => body.active),
    Array(PROBES).fill(false),
    'a token issued before revoke-tokens is inactive everywhere',
  );

  // --publish-ahead 0: every process signs with the new key when the command returns.
  const { kid } = JSON.parse(
    await admin(['keys', 'rotate', '--publish-ahead', '0', '--json', ...dbFlags]),
  ) as {
    kid: string;
  };
  const kids = (await probe(urls, current)).map((response) => {
    assert.equal(response.status, 200, response.body);
    const token = (response.json as { access_token: string }).access_token;
    return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
  });
  assert.deepEqual(kids, Array(PROBES).fill(kid), 'every process signs with the new key');
  assert.equal(claimsOf(await issueToken(urls[1 % urls.length]!, current)).client_id, app.application_id);

  await admin(['apps', 'delete', app.application_id, ...dbFlags]);
  await assertAllStatus(urls, current, 401, 'deleted');
}

describe('read-your-writes: serve --workers 2 on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-scale-sqlite-'));
  const db = join(dir, 'smscx-oauth.db');
  let server: TestServer;

  before(async () => {
    server = await startServer(db, ['--workers', '2', ...GENEROUS_LIMITS]);
  });
  after(async () => {
    assert.equal(await server.stop(), 0, server.stderr());
    rmSync(dir, { recursive: true, force: true });
  });

  it('every admin change is in force on both workers when the command returns', async () => {
    await checkEveryChangeInForceOnReturn([server.url], ['--db', db]);
  });
});

describe('several instances on one PostgreSQL', () => {
  const schemas = new PostgresTestSchemas();
  const dir = mkdtempSync(join(tmpdir(), 'smscx-scale-pg-'));
  const pepperFile = join(dir, 'pepper');
  let url: string;
  const servers: TestServer[] = [];

  before(async () => {
    await schemas.check();
    url = schemas.freshUrl();
    // One after the other: the first start creates the schema, the key and the default
    // application (its banner); the second finds them.
    for (let i = 0; i < 2; i += 1) {
      servers.push(
        await startServer(url, ['--workers', '2', '--pepper-file', pepperFile, ...GENEROUS_LIMITS]),
      );
    }
  });
  after(async () => {
    for (const server of servers) assert.equal(await server.stop(), 0, server.stderr());
    await schemas.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the first start banner once, and the default application gets tokens from both instances', async () => {
    const [first, second] = servers as [TestServer, TestServer];
    // Not a terminal: the banner names the credentials file, never prints the secret.
    const credentials = defaultCredentials(first.stdout());
    assert.doesNotMatch(second.stdout(), /Created the application|Credentials file:|Application Secret:/);
    await assertAllStatus(
      servers.map((server) => server.url),
      credentials,
      200,
      'default application',
    );
  });

  it('every admin change is in force on every worker of both instances when the command returns', async () => {
    await checkEveryChangeInForceOnReturn(
      servers.map((server) => server.url),
      ['--db', url, '--pepper-file', pepperFile],
    );
  });

  it('never prints the database password', () => {
    for (const server of servers)
      assert.doesNotMatch(server.stdout() + server.stderr(), /postgres:\/\/[^@\s]*:[^@\s*]+@/);
  });
});
