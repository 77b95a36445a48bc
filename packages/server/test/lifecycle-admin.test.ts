// Admin changes made by other processes while the server runs: `apps revoke-tokens` and
// `keys rotate` through the real CLI binary, a revocation made by a second server process on the
// same SQLite file, and a key rotation seen before the change log is polled.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { createApplication as createApplicationRecord } from '../src/domain/applications.js';
import { loadOrCreatePepper } from '../src/domain/secrets.js';
import { rotateSigningKey } from '../src/keys/key-ring.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { createVerifier } from '../src/verify/index.js';
import {
  BIN,
  cli,
  createApplication,
  decodeJwt,
  eventually,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
} from './helpers.js';
import {
  assertInvalidToken,
  claimsOf,
  getScopes,
  isActive,
  issueToken,
  revoke,
  serverSigningKey,
  signWith,
} from './lifecycle-helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolveWait) => setTimeout(resolveWait, ms));

/** Runs the binary without blocking the event loop; resolves with its exit code and stdout. */
function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.once('exit', (status) => resolveRun({ status, stdout }));
  });
}

describe('admin changes while the server runs', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: TestApplication;
  let resource: TestApplication;

  before(async () => {
    app = createApplication(tmp.db, [], 'app');
    resource = createApplication(tmp.db, [], 'resource');
    server = await startServer(tmp.db, ['--rate-limit', '100000/60']);
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('apps revoke-tokens makes earlier tokens inactive and later ones active (twice in a row)', async () => {
    for (let round = 0; round < 2; round++) {
      const earlier = await issueToken(server.url, app);
      const result = cli(['apps', 'revoke-tokens', app.application_id, '--db', tmp.db, '--json']);
      assert.equal(result.status, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as { application_id: string; tokens_not_before: string };
      assert.equal(printed.application_id, app.application_id);
      const notBefore = Date.parse(printed.tokens_not_before);
      assert.equal(notBefore % 1000, 0, 'the recorded instant is a whole second');
      assert.ok(Date.now() >= notBefore, 'the command returns only once the instant has passed');
      const later = await issueToken(server.url, app);
      assert.ok((claimsOf(later).iat as number) * 1000 >= notBefore);
      // The server picks the change up within a second...
      assert.ok(await eventually(async () => !(await isActive(server.url, resource, earlier)), 1000));
      assertInvalidToken(await getScopes(server.url, earlier));
      // ...and the token issued right after the command is active, once the change is applied.
      assert.equal(await isActive(server.url, resource, later), true, `round ${round}`);
      assert.equal((await getScopes(server.url, later)).status, 200);
    }
  });

  it('apps revoke-tokens: tokens issued before it started are inactive, after it returned active', async () => {
    const before: string[] = [];
    for (let i = 0; i < 5; i++) before.push(await issueToken(server.url, app));
    const running = cliAsync(['apps', 'revoke-tokens', app.application_id, '--db', tmp.db]);
    // Keep issuing while the command runs; these may go either way (the command is not done).
    let done = false;
    void running.then(() => {
      done = true;
    });
    while (!done) {
      await issueToken(server.url, app);
      await sleep(20);
    }
    const { status, stdout } = await running;
    assert.equal(status, 0);
    assert.match(
      stdout,
      /^tokens of [0-9a-f]{40} issued before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z are revoked\n$/,
    );
    const after: string[] = [];
    for (let i = 0; i < 5; i++) after.push(await issueToken(server.url, app));
    assert.ok(await eventually(async () => !(await isActive(server.url, resource, before.at(-1)!)), 1000));
    for (const token of before) assert.equal(await isActive(server.url, resource, token), false);
    for (const token of after) assert.equal(await isActive(server.url, resource, token), true);
  });

  it('keys rotate: old tokens still verify, new ones carry the new kid, a cached JWKS picks up the new key', async () => {
    const old = await issueToken(server.url, app);
    const oldKid = decodeJwt(old).header.kid as string;
    const verifier = createVerifier({
      issuer: server.url,
      jwksUrl: `${server.url}/.well-known/jwks.json`,
      audience: 'https://api.sms.cx',
      jwksCooldownMs: 500,
    });
    await verifier.verify(old); // fetches and caches the JWKS, which holds only the old key
    const fetchedAt = Date.now();

    const result = cli(['keys', 'rotate', '--db', tmp.db, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const rotated = JSON.parse(result.stdout) as { kid: string; retired: string[] };
    assert.notEqual(rotated.kid, oldKid);
    assert.deepEqual(rotated.retired, [oldKid]);

    let fresh = '';
    assert.ok(
      await eventually(async () => {
        fresh = await issueToken(server.url, app);
        return decodeJwt(fresh).header.kid === rotated.kid;
      }, 1000),
      'new tokens are signed with the new key within a second',
    );
    const jwks = (await send(server.url, { method: 'GET', path: '/.well-known/jwks.json' })).json as {
      keys: Array<{ kid: string }>;
    };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort());

    // The old token is still good everywhere.
    assert.equal(await isActive(server.url, resource, old), true);
    assert.equal((await getScopes(server.url, old)).status, 200);
    assert.equal((await verifier.verify(old)).jti, claimsOf(old).jti);
    // The new one too, including for the verifier that cached the old JWKS (refetch on unknown kid).
    assert.equal(await isActive(server.url, resource, fresh), true);
    assert.equal((await getScopes(server.url, fresh)).status, 200);
    await sleep(Math.max(0, fetchedAt + 500 - Date.now()));
    assert.equal((await verifier.verify(fresh)).jti, claimsOf(fresh).jti);
  });
});

describe('a revocation made by another server process on the same database', () => {
  const tmp = tempDb();
  let first: TestServer;
  let second: TestServer;
  let app: TestApplication;

  before(async () => {
    app = createApplication(tmp.db);
    // Same issuer for both, as behind one load balancer.
    first = await startServer(tmp.db, ['--issuer', 'https://auth.test.sms.cx']);
    second = await startServer(tmp.db, ['--issuer', 'https://auth.test.sms.cx']);
  });
  after(async () => {
    await first.stop();
    await second.stop();
    tmp.cleanup();
  });

  it('is honoured by the other process as soon as /oauth/revoke has answered', async () => {
    const token = await issueToken(first.url, app);
    assert.equal((await getScopes(second.url, token)).status, 200, 'the other process accepts it first');
    assert.equal(await isActive(second.url, app, token), true);
    assert.equal((await revoke(first.url, app, token)).status, 200);
    assertInvalidToken(await getScopes(second.url, token), 'at once in the other process');
    assert.equal(await isActive(second.url, app, token), false);
    assertInvalidToken(await getScopes(first.url, token), 'and in the revoking one');
  });

  it('revoking through the other process is as immediate, and the token stays revoked after polls', async () => {
    const token = await issueToken(first.url, app);
    assert.equal((await revoke(second.url, app, token)).status, 200);
    assertInvalidToken(await getScopes(first.url, token));
    await sleep(600); // the change log has been followed by now: memory and storage agree
    assertInvalidToken(await getScopes(first.url, token));
    assert.equal(await isActive(first.url, app, token), false);
  });

  it('and a server started later loads the denylist', async () => {
    const token = await issueToken(first.url, app);
    await revoke(first.url, app, token);
    const third = await startServer(tmp.db, ['--issuer', 'https://auth.test.sms.cx']);
    try {
      assertInvalidToken(await getScopes(third.url, token));
      assert.equal(await isActive(third.url, app, token), false);
    } finally {
      await third.stop();
    }
  });
});

describe('a revocation answered by one worker of `serve --workers 2`', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: TestApplication;

  before(async () => {
    app = createApplication(tmp.db);
    server = await startServer(tmp.db, [], { SMSCX_WORKERS: '2' });
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  /** Whether `rounds` requests in a row (new connections, so spread over the workers) get `status`. */
  async function allAnswer(token: string, status: number, rounds = 6): Promise<boolean> {
    for (let i = 0; i < rounds; i++) if ((await getScopes(server.url, token)).status !== status) return false;
    return true;
  }

  it('is in effect in every worker as soon as it was answered', async () => {
    const token = await issueToken(server.url, app);
    assert.ok(await allAnswer(token, 200));
    assert.equal((await revoke(server.url, app, token)).status, 200);
    assert.ok(await allAnswer(token, 401), 'the very next requests, whichever worker takes them');
    for (let i = 0; i < 4; i++) assert.equal(await isActive(server.url, app, token), false);
  });

  it('apps revoke-tokens is in effect in every worker within a second', async () => {
    const token = await issueToken(server.url, app);
    assert.equal(cli(['apps', 'revoke-tokens', app.application_id, '--db', tmp.db]).status, 0);
    const returnedAt = Date.now();
    assert.ok(await eventually(() => allAnswer(token, 401), 1000));
    assert.ok(Date.now() - returnedAt < 1000);
    const later = await issueToken(server.url, app);
    assert.ok(await allAnswer(later, 200));
  });
});

describe('a key rotated by another process, before this process polls the change log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-lifecycle-keys-'));
  const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a token signed with the new key is accepted at once (keys re-read on an unknown kid)', async () => {
    const db = join(dir, 'data', 'oauth.db');
    const storage = openSqliteStorage(db);
    const pepper = loadOrCreatePepper(join(dir, 'data', 'pepper'));
    const { application, secret } = await createApplicationRecord(storage, pepper, {
      name: 'app',
      scopes: ['sms'],
      tokenExpiration: '1d',
    });
    // Polling every hour: only the unknown-kid path can see the new key.
    const app = await buildApp({ storage, pepper, logger: silent, changePollIntervalMs: 3_600_000 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address() as { port: number };
      const url = `http://127.0.0.1:${address.port}`;
      const creds: TestApplication = {
        application_id: application.id,
        application_secret: secret,
        name: 'app',
        scopes: 'sms',
        token_expiration: '1d',
      };
      const old = await issueToken(url, creds);
      const other = openSqliteStorage(db);
      await rotateSigningKey(other, pepper);
      await other.close();
      const key = await serverSigningKey(db); // the new current key, as another worker would sign
      assert.notEqual(key.kid, decodeJwt(old).header.kid);
      const token = signWith(key, { ...claimsOf(old), jti: 'signed-by-another-worker' });
      assert.equal((await getScopes(url, token)).status, 200);
      assert.equal(await isActive(url, creds, token), true);
      assert.equal(await isActive(url, creds, old), true);
    } finally {
      await app.close();
      await storage.close();
    }
  });
});
