// Admin changes while the server runs: `apps revoke-tokens` and `keys rotate` (the service
// functions the CLI calls, applied in process), a revocation made by another server process on
// the same SQLite file (a second app on its own connection), a key rotation seen before the
// change log is polled, and one black-box check of the real binary: `serve --workers 2` with the
// admin CLI changing its database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { rotateSigningKey } from '../src/keys/key-ring.js';
import { createVerifier } from '../src/verify/index.js';
import { type InProcessServer, inProcessServer, testClock } from './fixture.js';
import {
  BIN,
  createApplication,
  decodeJwt,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
} from './helpers.js';
import {
  anotherProcess,
  assertInvalidToken,
  claimsOf,
  getScopes,
  isActive,
  issueToken,
  type OtherProcess,
  revoke,
  serverSigningKey,
  signWith,
} from './lifecycle-helpers.js';

/** Runs the binary without blocking the event loop; resolves once it exits. */
function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('SMSCX_')) delete env[key];
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}

/** A test clock in the middle of the current second (token `iat`s are whole seconds). */
function midSecondClock(): ReturnType<typeof testClock> {
  return testClock(Math.floor(Date.now() / 1000) * 1000 + 500);
}

describe('admin changes while the server runs', () => {
  let server: InProcessServer;
  /** The bound base URL (the default issuer): a verifier fetches the JWKS over HTTP. */
  let url: string;
  let app: TestApplication;
  let resource: TestApplication;

  before(async () => {
    server = await inProcessServer({
      clock: midSecondClock(),
      rateLimit: { points: 100_000, durationSeconds: 60 },
    });
    url = await server.listen();
    app = await server.createApplication({ name: 'app' });
    resource = await server.createApplication({ name: 'resource' });
  });
  after(async () => {
    await server.close();
  });

  /** The not-before instant recorded for `id` (epoch ms). */
  async function recordedNotBefore(id: string): Promise<number> {
    const notBefore = (await server.storage.getApplication(id))?.tokensNotBefore;
    assert.equal(typeof notBefore, 'number', 'revoke-tokens records an instant');
    return notBefore as number;
  }

  it('apps revoke-tokens makes earlier tokens inactive and later ones active (twice in a row)', async () => {
    let previous = 0;
    for (let round = 0; round < 2; round++) {
      const earlier = await issueToken(server, app);
      assert.equal(await isActive(server, resource, earlier), true);
      server.clock.advance(250); // the command starts a moment later
      await server.admin.revokeTokens(app.application_id);
      const notBefore = await recordedNotBefore(app.application_id);
      assert.equal(notBefore % 1000, 0, 'the recorded instant is a whole second');
      assert.ok(notBefore > previous, 'each run records a later instant');
      previous = notBefore;
      assert.ok(server.clock() >= notBefore, 'the action returns only once the instant has passed');
      const later = await issueToken(server, app);
      assert.ok((claimsOf(later).iat as number) * 1000 >= notBefore);
      // In force when the action returns...
      assert.equal(await isActive(server, resource, earlier), false, `round ${round}`);
      assertInvalidToken(await getScopes(server, earlier));
      // ...and the token issued right after it is active.
      assert.equal(await isActive(server, resource, later), true, `round ${round}`);
      assert.equal((await getScopes(server, later)).status, 200);
    }
  });

  it('apps revoke-tokens: tokens issued before it started are inactive, after it returned active', async () => {
    // Spread over more than a second on each side of the command.
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      before.push(await issueToken(server, app));
      server.clock.advance(300);
    }
    await server.admin.revokeTokens(app.application_id);
    const after: string[] = [];
    for (let i = 0; i < 5; i++) {
      after.push(await issueToken(server, app));
      server.clock.advance(300);
    }
    for (const token of before) assert.equal(await isActive(server, resource, token), false);
    for (const token of after) assert.equal(await isActive(server, resource, token), true);
  });

  it('keys rotate --publish-ahead 0: old tokens still verify, new ones carry the new kid, a cached JWKS picks up the new key', async () => {
    const old = await issueToken(server, app);
    const oldKid = decodeJwt(old).header.kid as string;
    const verifier = createVerifier({
      issuer: url,
      jwksUrl: `${url}/.well-known/jwks.json`,
      audience: 'https://api.sms.cx',
      jwksCooldownMs: 500,
      now: server.clock,
    });
    await verifier.verify(old); // fetches and caches the JWKS, which holds only the old key

    // The emergency path: the new key signs at once (the default announces it first:
    // key-publish-ahead.test.ts).
    const kid = await server.admin.rotateKey({ publishAheadMs: 0 });
    assert.notEqual(kid, oldKid);
    const keys = await server.storage.listSigningKeys();
    assert.deepEqual(
      keys.filter((key) => key.retiredAt === null).map((key) => key.kid),
      [kid],
      'the new key is the only current one',
    );
    assert.notEqual(
      keys.find((key) => key.kid === oldKid)?.retiredAt ?? null,
      null,
      'the old key is retired',
    );

    const fresh = await issueToken(server, app);
    assert.equal(decodeJwt(fresh).header.kid, kid, 'new tokens are signed with the new key at once');
    const jwks = (await send(server, { method: 'GET', path: '/.well-known/jwks.json' })).json as {
      keys: Array<{ kid: string }>;
    };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, kid].sort());

    // The old token is still good everywhere.
    assert.equal(await isActive(server, resource, old), true);
    assert.equal((await getScopes(server, old)).status, 200);
    assert.equal((await verifier.verify(old)).jti, claimsOf(old).jti);
    // The new one too, including for the verifier that cached the old JWKS (refetch on unknown
    // kid, once its cooldown has passed).
    assert.equal(await isActive(server, resource, fresh), true);
    assert.equal((await getScopes(server, fresh)).status, 200);
    server.clock.advance(500);
    assert.equal((await verifier.verify(fresh)).jti, claimsOf(fresh).jti);
  });
});

describe('a revocation made by another server process on the same database', () => {
  // Same issuer for every process, as behind one load balancer.
  const issuer = 'https://auth.test.sms.cx';
  let database: InProcessServer;
  // Two processes that follow the change log only when told (app.applyChanges()): what they see
  // at once comes from the database itself.
  let first: OtherProcess;
  let second: OtherProcess;
  let app: TestApplication;

  before(async () => {
    database = await inProcessServer({ issuer });
    app = await database.createApplication();
    first = await anotherProcess(database, { issuer });
    second = await anotherProcess(database, { issuer });
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await database?.close();
  });

  it('is honoured by the other process as soon as /oauth/revoke has answered', async () => {
    const token = await issueToken(first, app);
    assert.equal((await getScopes(second, token)).status, 200, 'the other process accepts it first');
    assert.equal(await isActive(second, app, token), true);
    assert.equal((await revoke(first, app, token)).status, 200);
    assertInvalidToken(await getScopes(second, token), 'at once in the other process');
    assert.equal(await isActive(second, app, token), false);
    assertInvalidToken(await getScopes(first, token), 'and in the revoking one');
  });

  it('revoking through the other process is as immediate, and the token stays revoked after polls', async () => {
    const token = await issueToken(first, app);
    assert.equal((await getScopes(first, token)).status, 200);
    assert.equal((await revoke(second, app, token)).status, 200);
    assertInvalidToken(await getScopes(first, token));
    // The change log followed: memory and storage agree.
    await first.app.applyChanges();
    await second.app.applyChanges();
    assertInvalidToken(await getScopes(first, token));
    assert.equal(await isActive(first, app, token), false);
    assertInvalidToken(await getScopes(second, token));
  });

  it('and a server started later loads the denylist', async () => {
    const token = await issueToken(first, app);
    assert.equal((await revoke(first, app, token)).status, 200);
    const third = await anotherProcess(database, { issuer });
    try {
      assertInvalidToken(await getScopes(third, token));
      assert.equal(await isActive(third, app, token), false);
    } finally {
      await third.close();
    }
  });
});

describe('a key rotated by another process, before this process polls the change log', () => {
  let database: InProcessServer;

  before(async () => {
    database = await inProcessServer();
  });
  after(async () => {
    await database.close();
  });

  it('a token signed with the new key is accepted at once (keys re-read on an unknown kid)', async () => {
    const creds = await database.createApplication({ name: 'app', scopes: 'sms' });
    // Follows the change log only when told: only the unknown-kid path can see the new key.
    const self = await anotherProcess(database);
    try {
      const old = await issueToken(self, creds);
      // Written straight to the database, as another process does (no waiting for this one).
      await rotateSigningKey(database.storage, database.pepper, database.clock(), { publishAheadMs: 0 });
      const key = await serverSigningKey(database); // the new current key, as another worker would sign
      assert.notEqual(key.kid, decodeJwt(old).header.kid);
      const token = signWith(key, { ...claimsOf(old), jti: 'signed-by-another-worker' });
      assert.equal((await getScopes(self, token)).status, 200);
      assert.equal(await isActive(self, creds, token), true);
      assert.equal(await isActive(self, creds, old), true);
    } finally {
      await self.close();
    }
  });
});

// The one black-box test of these files: real processes (the binary's primary and two workers,
// the admin CLI) on one SQLite file. Everything it waits for is a fact: the "listening on" line,
// the CLI's exit, a response.
describe('`serve --workers 2` with the admin CLI changing its database', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: TestApplication;
  let other: TestApplication;

  before(async () => {
    app = createApplication(tmp.db);
    other = createApplication(tmp.db, [], 'other');
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

  it('a revocation answered by one worker is in effect in every worker as soon as it was answered', async () => {
    const token = await issueToken(server.url, app);
    assert.ok(await allAnswer(token, 200));
    assert.equal((await revoke(server.url, app, token)).status, 200);
    assert.ok(await allAnswer(token, 401), 'the very next requests, whichever worker takes them');
    for (let i = 0; i < 4; i++) assert.equal(await isActive(server.url, app, token), false);
  });

  it('apps revoke-tokens (--json and text, two commands at once) is in effect in every worker within a second of returning', async () => {
    const runs = [
      { app, json: true },
      { app: other, json: false },
    ];
    const earlier = new Map<TestApplication, string[]>();
    for (const run of runs) {
      const tokens: string[] = [];
      for (let i = 0; i < 3; i++) tokens.push(await issueToken(server.url, run.app));
      for (const token of tokens) assert.ok(await allAnswer(token, 200));
      earlier.set(run.app, tokens);
    }

    // Both commands run side by side (each waits for the same next whole second).
    const results = await Promise.all(
      runs.map(async (run) => {
        const args = ['apps', 'revoke-tokens', run.app.application_id, '--db', tmp.db];
        const result = await cliAsync(run.json ? [...args, '--json'] : args);
        return { ...run, result, returnedAt: Date.now() };
      }),
    );

    for (const { app: revoked, json, result, returnedAt } of results) {
      assert.equal(result.status, 0, result.stderr);
      let notBefore: number;
      if (json) {
        const printed = JSON.parse(result.stdout) as { application_id: string; tokens_not_before: string };
        assert.equal(printed.application_id, revoked.application_id);
        notBefore = Date.parse(printed.tokens_not_before);
      } else {
        const match =
          /^tokens of ([0-9a-f]{40}) issued before (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z) are revoked\n$/.exec(
            result.stdout,
          );
        assert.ok(match, result.stdout);
        assert.equal(match[1], revoked.application_id);
        notBefore = Date.parse(match[2]!);
      }
      assert.equal(notBefore % 1000, 0, 'the recorded instant is a whole second');
      assert.ok(returnedAt >= notBefore, 'the command returns only once the instant has passed');

      // Every worker refuses the earlier tokens within a second of the command's return (no
      // sleep: ask again until they do, failing once the second is over).
      for (const token of earlier.get(revoked)!) {
        while (!(await allAnswer(token, 401))) {
          assert.ok(Date.now() - returnedAt < 1000, 'every worker within a second');
        }
      }
      const later = await issueToken(server.url, revoked);
      assert.ok((claimsOf(later).iat as number) * 1000 >= notBefore);
      assert.ok(await allAnswer(later, 200));
      for (let i = 0; i < 4; i++) assert.equal(await isActive(server.url, revoked, later), true);
    }
  });
});
