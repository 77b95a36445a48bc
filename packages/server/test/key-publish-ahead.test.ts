// Signing keys announced before use (issue 16): `keys rotate` publishes the new key in the JWKS at
// once and signs with it only once the publish-ahead has passed (default 10 minutes, twice the
// JWKS max-age), so a resource server that honours the JWKS cache header never meets an unknown
// `kid`. In process (fixture.ts) with the test clock moved by hand: the switch at the exact
// instant, on two servers of one database at once; a resource server (the verifier library,
// refetching only as the cache header allows) that fetched the JWKS right before or right after
// the rotation; `--publish-ahead 0`, the emergency path; a rotation replacing a pending key; the
// first key of a database. Then `keys rotate --publish-ahead` / `keys list` and the admin API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/admin/api-keys.js';
import { readAudit } from '../src/admin/audit.js';
import { rotateKeys } from '../src/admin/keys.js';
import { JwtSigner } from '../src/keys/jwt-signer.js';
import { loadSigningKey } from '../src/keys/key-material.js';
import { DEFAULT_PUBLISH_AHEAD_MS, JWKS_MAX_AGE_SECONDS } from '../src/keys/schedule.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { SigningKeyRecord } from '../src/storage/types.js';
import {
  type AccessTokenVerifier,
  createVerifier,
  type JsonWebKeySet,
  TokenVerificationError,
} from '../src/verify/index.js';
import { type InProcessServer, inProcessServer, testClock } from './fixture.js';
import {
  decodeJwt,
  envelope,
  type RawResponse,
  runInProcess,
  type TestApplication,
  tempDb,
} from './helpers.js';
import { introspect, issueToken } from './lifecycle-helpers.js';

const ISSUER = 'https://auth.publish-ahead.test';
const AUDIENCE = 'https://api.sms.cx';
const MINUTE = 60_000;

type Json = Record<string, unknown>;

/** The `kid` of a token's header. */
function kidOf(token: string): string {
  return decodeJwt(token).header.kid as string;
}

/** The kids of the JWKS `server` serves now. */
async function publishedKids(server: InProcessServer): Promise<string[]> {
  const response = await server.send({ method: 'GET', path: '/.well-known/jwks.json' });
  assert.equal(response.status, 200);
  return (response.json as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
}

/** The stored key `kid`. */
async function record(server: InProcessServer, kid: string): Promise<SigningKeyRecord> {
  const found = (await server.storage.listSigningKeys()).find((key) => key.kid === kid);
  assert.ok(found, `key ${kid} is stored`);
  return found;
}

/** A fixture server with the test clock and generous limits. */
function server(options: Parameters<typeof inProcessServer>[0] = {}): Promise<InProcessServer> {
  return inProcessServer({
    issuer: ISSUER,
    audience: AUDIENCE,
    rateLimit: { points: 1_000_000, durationSeconds: 60 },
    ...options,
  });
}

describe('keys announced before use: one server', () => {
  let one: InProcessServer;
  let app: TestApplication;

  before(async () => {
    one = await server();
    app = await one.createApplication({ name: 'publish-ahead' });
  });
  after(async () => one?.close());

  it('by default the new key is in the JWKS at once and signs only from activates_at = now + 10 minutes', async () => {
    const before = kidOf(await issueToken(one, app));
    const rotatedAt = one.clock();
    const kid = await one.admin.rotateKey();
    assert.equal(DEFAULT_PUBLISH_AHEAD_MS, 2 * JWKS_MAX_AGE_SECONDS * 1000, 'twice the JWKS max-age');
    assert.ok(DEFAULT_PUBLISH_AHEAD_MS >= JWKS_MAX_AGE_SECONDS * 1000);
    const cacheControl = (await one.send({ method: 'GET', path: '/.well-known/jwks.json' })).headers[
      'cache-control'
    ];
    assert.equal(cacheControl, `public, max-age=${JWKS_MAX_AGE_SECONDS}`);

    // Both keys are published at once.
    assert.deepEqual((await publishedKids(one)).sort(), [before, kid].sort());
    const stored = await record(one, kid);
    assert.equal(stored.createdAt, rotatedAt);
    assert.equal(stored.activatesAt, rotatedAt + DEFAULT_PUBLISH_AHEAD_MS);
    assert.equal(stored.retiredAt, null);
    assert.equal((await record(one, before)).retiredAt, stored.activatesAt, 'the old key retires then');

    // The old key signs every token until the instant, even after the follower's ticks.
    for (const step of [0, MINUTE, 5 * MINUTE, 9 * MINUTE, DEFAULT_PUBLISH_AHEAD_MS - 1]) {
      one.clock.set(rotatedAt + step);
      await one.app.applyChanges();
      assert.equal(kidOf(await issueToken(one, app)), before, `${step} ms after the rotation`);
    }
    const lastOld = await issueToken(one, app);
    // At the instant (no poll of the change log needed), the new key signs.
    one.clock.set(stored.activatesAt);
    const first = await issueToken(one, app);
    assert.equal(kidOf(first), kid);
    assert.equal(decodeJwt(first).header.alg, 'EdDSA');
    await one.app.applyChanges();
    assert.equal(kidOf(await issueToken(one, app)), kid);
    // Both keys' tokens stay valid; the retired key stays published.
    assert.equal((await introspect(one, app, lastOld)).active, true);
    assert.equal((await introspect(one, app, first)).active, true);
    assert.deepEqual((await publishedKids(one)).sort(), [before, kid].sort());
  });

  it('a token of a next key is accepted before its activation (introspection and the verifier), though the server issues none', async () => {
    const current = kidOf(await issueToken(one, app));
    const kid = await one.admin.rotateKey({ publishAheadMs: 5 * MINUTE });
    // Signed with the next key, as a process whose clock were ahead would.
    const next = new JwtSigner(loadSigningKey(one.pepper, await record(one, kid)));
    const payload = decodeJwt(await issueToken(one, app)).payload;
    const early = next.sign(JSON.stringify({ ...payload, jti: 'signed-by-the-next-key' }));
    assert.equal(kidOf(early), kid);
    assert.equal((await introspect(one, app, early)).active, true);
    const jwks = (await one.send({ method: 'GET', path: '/.well-known/jwks.json' })).json as JsonWebKeySet;
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: jwks, now: one.clock });
    assert.equal((await verifier.verify(early)).client_id, app.application_id);
    for (let i = 0; i < 20; i++) assert.equal(kidOf(await issueToken(one, app)), current);
    one.clock.advance(5 * MINUTE);
    assert.equal(kidOf(await issueToken(one, app)), kid);
  });

  it('--publish-ahead 0 (the emergency path): the new key signs at once and the old one retires now', async () => {
    const old = kidOf(await issueToken(one, app));
    one.clock.advance(1000);
    const now = one.clock();
    const kid = await one.admin.rotateKey({ publishAheadMs: 0, alg: 'ES256' });
    const token = await issueToken(one, app);
    assert.deepEqual(decodeJwt(token).header, { alg: 'ES256', typ: 'at+jwt', kid });
    assert.equal((await record(one, kid)).activatesAt, now);
    assert.equal((await record(one, old)).retiredAt, now);
    assert.ok((await publishedKids(one)).includes(old), 'the old key stays published');
  });

  it('rotating while a next key waits replaces it: it never signs, and the current key signs until the new one activates', async () => {
    const current = kidOf(await issueToken(one, app));
    one.clock.advance(1000);
    const firstAt = one.clock();
    const pending = await one.admin.rotateKey({ publishAheadMs: 2 * MINUTE });
    one.clock.advance(MINUTE);
    const secondAt = one.clock();
    const replacement = await one.admin.rotateKey({ alg: 'RS256', publishAheadMs: 5 * MINUTE });

    const replaced = await record(one, pending);
    assert.equal(replaced.activatesAt, firstAt + 2 * MINUTE);
    assert.equal(replaced.retiredAt, secondAt, 'retired when it was replaced, before its activation');
    assert.equal((await record(one, current)).retiredAt, secondAt + 5 * MINUTE);
    // Still published (a process whose clock ran ahead may have signed with it): nothing breaks.
    assert.deepEqual((await publishedKids(one)).slice(0, 3), [replacement, pending, current], 'newest first');
    // The replaced key's activation passes: the current key goes on signing.
    one.clock.set(firstAt + 2 * MINUTE);
    await one.app.applyChanges();
    assert.equal(kidOf(await issueToken(one, app)), current);
    one.clock.set(secondAt + 5 * MINUTE - 1);
    assert.equal(kidOf(await issueToken(one, app)), current);
    one.clock.set(secondAt + 5 * MINUTE);
    const token = await issueToken(one, app);
    assert.deepEqual(decodeJwt(token).header, { alg: 'RS256', typ: 'at+jwt', kid: replacement });

    // The audit entries say when each key activates, and which key a rotation replaced.
    const entries = (await readAudit(one.storage, { limit: 2 })).entries;
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.targetId, entry.details]),
      [
        [
          'signing_key.rotate',
          replacement,
          {
            alg: 'RS256',
            activates_at: new Date(secondAt + 5 * MINUTE).toISOString(),
            replaced: [pending],
          },
        ],
        [
          'signing_key.rotate',
          pending,
          { alg: 'EdDSA', activates_at: new Date(firstAt + 2 * MINUTE).toISOString() },
        ],
      ],
    );
  });

  it('refuses a publish-ahead that is negative, fractional or above 30 days, and rotates nothing', async () => {
    const count = (await one.storage.listSigningKeys()).length;
    for (const publishAheadMs of [-1, 0.5, 30 * 24 * 60 * MINUTE + 1, Number.NaN]) {
      await assert.rejects(rotateKeys(one.storage, one.pepper, one.clock(), { publishAheadMs }), RangeError);
    }
    assert.equal((await one.storage.listSigningKeys()).length, count);
  });
});

describe('keys announced before use: the first key of a database', () => {
  it('signs at once whatever the publish-ahead: there is nothing to protect yet', async () => {
    const tmp = tempDb();
    const storage = openSqliteStorage(tmp.db);
    try {
      const first = await rotateKeys(storage, Buffer.alloc(32, 1), 1_000_000, {
        publishAheadMs: 60 * MINUTE,
      });
      assert.equal(first.activatesAt, 1_000_000);
      assert.deepEqual(first.retired, []);
      const second = await rotateKeys(storage, Buffer.alloc(32, 1), 2_000_000, { publishAheadMs: MINUTE });
      assert.equal(second.activatesAt, 2_000_000 + MINUTE);
      assert.deepEqual(second.retired, [first.kid]);
    } finally {
      await storage.close();
      tmp.cleanup();
    }
  });
});

describe('keys announced before use: two servers on one database', () => {
  it('switch to the new key at the same instant, each by its own clock, with no change to propagate', async () => {
    const clock = testClock();
    const a = await server({ clock });
    const b = await server({ clock, sameDatabaseAs: a });
    try {
      const app = await a.createApplication({ name: 'two-servers' });
      await b.app.applyChanges();
      const before = kidOf(await issueToken(a, app));
      assert.equal(kidOf(await issueToken(b, app)), before);

      const kid = await a.admin.rotateKey({ publishAheadMs: 3 * MINUTE });
      await b.app.applyChanges();
      const activatesAt = (await record(a, kid)).activatesAt;
      for (const each of [a, b]) assert.deepEqual((await publishedKids(each)).sort(), [before, kid].sort());

      clock.set(activatesAt - 1);
      await a.app.applyChanges();
      await b.app.applyChanges();
      assert.deepEqual([kidOf(await issueToken(a, app)), kidOf(await issueToken(b, app))], [before, before]);
      // The instant passes: nothing is written or polled, both sign with the new key.
      clock.set(activatesAt);
      const seq = await a.storage.latestChange();
      assert.deepEqual([kidOf(await issueToken(a, app)), kidOf(await issueToken(b, app))], [kid, kid]);
      assert.equal(await a.storage.latestChange(), seq, 'no change was needed');
      // Each verifies the other's tokens.
      const fromA = await issueToken(a, app);
      const fromB = await issueToken(b, app);
      assert.equal((await introspect(b, app, fromA)).active, true);
      assert.equal((await introspect(a, app, fromB)).active, true);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

/**
 * A resource server: the verifier library fetching the JWKS (through `app.inject`), keeping it as
 * long as its `Cache-Control: max-age` says and refetching only then (an unknown `kid` does not
 * make it refetch sooner: the cooldown is the max-age too). A token whose `kid` is not in its
 * cached JWKS fails with `unknown_key`.
 */
async function resourceServer(
  server: InProcessServer,
): Promise<{ verifier: AccessTokenVerifier; fetches: number[] }> {
  const head = await server.send({ method: 'GET', path: '/.well-known/jwks.json' });
  const maxAge = /max-age=(\d+)/.exec(String(head.headers['cache-control']));
  assert.ok(maxAge, 'the JWKS says how long it may be cached');
  const maxAgeMs = Number(maxAge[1]) * 1000;
  const fetches: number[] = [];
  const viaInject = (async (input: string | URL | Request) => {
    fetches.push(server.clock());
    const url = new URL(input instanceof Request ? input.url : String(input));
    const response = await server.send({ method: 'GET', path: url.pathname });
    return new Response(response.body, {
      status: response.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    fetch: viaInject,
    now: server.clock,
    cacheSize: 0,
    jwksMaxAgeMs: maxAgeMs,
    jwksCooldownMs: maxAgeMs,
  });
  return { verifier, fetches };
}

/** Verifies `token` with `verifier`: its client_id, or the failure's reason. */
async function outcome(verifier: AccessTokenVerifier, token: string): Promise<string> {
  try {
    return (await verifier.verify(token)).client_id;
  } catch (error) {
    if (error instanceof TokenVerificationError) return error.reason;
    throw error;
  }
}

describe('keys announced before use: a resource server that honours the JWKS cache header', () => {
  let one: InProcessServer;
  let app: TestApplication;
  before(async () => {
    one = await server();
    app = await one.createApplication({ name: 'resource-server' });
  });
  after(async () => one?.close());

  it('never sees an unknown kid, whether it fetched the JWKS right before or right after the rotation', async () => {
    const early = await resourceServer(one);
    // Fetched right before the rotation: only the old key.
    assert.equal(await outcome(early.verifier, await issueToken(one, app)), app.application_id);
    const kid = await one.admin.rotateKey();
    // Fetched right after: both keys.
    const late = await resourceServer(one);
    assert.equal(await outcome(late.verifier, await issueToken(one, app)), app.application_id);
    const activatesAt = (await record(one, kid)).activatesAt;

    // A token every 20 seconds for 20 minutes: every one verifies on both.
    const seen = new Set<string>();
    for (let t = 0; t <= 20 * MINUTE; t += 20_000) {
      one.clock.advance(20_000);
      await one.app.applyChanges();
      const token = await issueToken(one, app);
      seen.add(kidOf(token));
      for (const [name, rs] of [
        ['early', early],
        ['late', late],
      ] as const) {
        assert.equal(await outcome(rs.verifier, token), app.application_id, `${name} at +${t / 1000}s`);
      }
    }
    assert.ok(seen.has(kid) && seen.size === 2, 'the old key signed, then the new one');
    // The early resource server refetched once its copy expired, before the new key signed.
    assert.ok(early.fetches.some((at) => at > activatesAt - DEFAULT_PUBLISH_AHEAD_MS && at < activatesAt));
  });

  it('--publish-ahead 0 would not do: a resource server that fetched the JWKS just before refuses the new tokens', async () => {
    const early = await resourceServer(one);
    assert.equal(await outcome(early.verifier, await issueToken(one, app)), app.application_id);
    one.clock.advance(1000);
    await one.admin.rotateKey({ publishAheadMs: 0 });
    assert.equal(await outcome(early.verifier, await issueToken(one, app)), 'unknown_key');
    // Until its copy of the JWKS expires.
    one.clock.advance(JWKS_MAX_AGE_SECONDS * 1000);
    assert.equal(await outcome(early.verifier, await issueToken(one, app)), app.application_id);
  });
});

describe('keys rotate --publish-ahead and keys list', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());
  const ok = async (args: string[]): Promise<string> => {
    const result = await runInProcess([...args, '--db', tmp.db]);
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  };
  const ms = (iso: unknown): number => Date.parse(iso as string);

  it('rotates with the default, a given and a zero publish-ahead; keys list --json shows each state', async () => {
    // The first key of a database signs at once.
    const first = JSON.parse(await ok(['keys', 'rotate', '--json'])) as Json;
    assert.deepEqual(Object.keys(first), [
      'kid',
      'alg',
      'state',
      'created_at',
      'activates_at',
      'retired',
      'replaced',
      'pruned',
    ]);
    assert.equal(first.state, 'current');
    assert.equal(first.activates_at, first.created_at);

    // The default: 10 minutes.
    const second = JSON.parse(await ok(['keys', 'rotate', '--json'])) as Json;
    assert.equal(second.state, 'next');
    assert.equal(ms(second.activates_at) - ms(second.created_at), 10 * MINUTE);
    assert.deepEqual(second.retired, [first.kid]);

    // Another: replaces the pending one.
    const third = JSON.parse(
      await ok(['keys', 'rotate', '--publish-ahead', '15m', '--alg', 'ES256', '--json']),
    ) as Json;
    assert.equal(third.alg, 'ES256');
    assert.equal(ms(third.activates_at) - ms(third.created_at), 15 * MINUTE);
    assert.deepEqual(third.replaced, [second.kid]);
    assert.deepEqual(third.retired, [first.kid]);

    const listed = JSON.parse(await ok(['keys', 'list', '--json'])) as Json[];
    for (const entry of listed) {
      assert.deepEqual(Object.keys(entry), [
        'kid',
        'alg',
        'state',
        'created_at',
        'activates_at',
        'retired_at',
      ]);
    }
    assert.deepEqual(
      listed.map((entry) => [entry.kid, entry.alg, entry.state]),
      [
        [third.kid, 'ES256', 'next'],
        [second.kid, 'EdDSA', 'retired'],
        [first.kid, 'EdDSA', 'current'],
      ],
    );
    assert.equal(listed[0]!.retired_at, null);
    assert.equal(listed[1]!.retired_at, third.created_at, 'replaced when the third key was made');
    assert.equal(
      listed[2]!.retired_at,
      third.activates_at,
      'the current key retires when the next one activates',
    );

    // The emergency path.
    const fourth = JSON.parse(await ok(['keys', 'rotate', '--publish-ahead', '0', '--json'])) as Json;
    assert.equal(fourth.state, 'current');
    assert.equal(fourth.activates_at, fourth.created_at);
    assert.deepEqual(fourth.replaced, [third.kid]);
    const after = JSON.parse(await ok(['keys', 'list', '--json'])) as Json[];
    assert.deepEqual(
      after.map((entry) => entry.state),
      ['current', 'retired', 'retired', 'retired'],
    );

    // The text forms.
    const text = await ok(['keys', 'rotate', '--publish-ahead', '90s']);
    assert.match(
      text,
      /^new signing key \S+ \(EdDSA\): published in the JWKS now, signs from \S+Z \(in 90s\)\n/,
    );
    assert.match(text, new RegExp(`\\n${fourth.kid} signs until then, then retires`));
    const table = (await ok(['keys', 'list'])).split('\n');
    assert.match(table[0]!, /^KID +ALG +STATE +CREATED +ACTIVATES +RETIRED$/);
    assert.match(table[1]!, /^\S+ +EdDSA +next +\S+Z +\S+Z +-$/);
    assert.match(table[2]!, /^\S+ +EdDSA +current +\S+Z +\S+Z +\S+Z$/);
    assert.equal(table.length, 7);
  });

  it('refuses another duration (exit 2) and rotates nothing', async () => {
    const before = await ok(['keys', 'list', '--json']);
    for (const value of ['-1s', '1w', '31d', '2592001', '1.5h', 'soon', '', '15 m']) {
      const result = await runInProcess(['keys', 'rotate', `--publish-ahead=${value}`, '--db', tmp.db]);
      assert.equal(result.status, 2, value);
      assert.match(
        result.stderr,
        /^error: --publish-ahead must be a duration such as 90s, 15m, 24h or 7d \(a bare number is seconds\), at most 30d; 0 signs at once\n/,
        value,
      );
    }
    for (const accepted of ['30d', '2592000', '0s']) {
      assert.equal(
        (await runInProcess(['keys', 'rotate', '--publish-ahead', accepted, '--db', tmp.db])).status,
        0,
      );
    }
    assert.equal(
      (JSON.parse(before) as Json[]).length + 3,
      (JSON.parse(await ok(['keys', 'list', '--json'])) as Json[]).length,
    );
    const usage = await runInProcess(['keys', 'list', '--bogus', '--db', tmp.db]);
    assert.equal(usage.status, 2);
  });

  it('keys list on a database with no key says so', async () => {
    const empty = tempDb();
    try {
      const result = await runInProcess(['keys', 'list', '--db', empty.db]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, 'no signing keys (the server makes one when it starts)\n');
      assert.equal((await runInProcess(['keys', 'list', '--json', '--db', empty.db])).stdout, '[]\n');
    } finally {
      empty.cleanup();
    }
  });
});

describe('keys announced before use: the admin API', () => {
  let one: InProcessServer;
  let key: string;
  let app: TestApplication;

  function call(method: string, path: string, body?: string): Promise<RawResponse> {
    return one.send({
      method,
      path: `/admin/v1${path}`,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
  }
  const data = <T = Json>(response: RawResponse): T => (response.json as { data: T }).data;

  before(async () => {
    one = await server();
    key = (await createApiKey(one.storage, one.pepper, 'publish-ahead tests')).key;
    app = await one.createApplication({ name: 'admin-api' });
  });
  after(async () => one?.close());

  it('publish_ahead as a duration string or whole seconds; GET /keys shows next keys and activates_at', async () => {
    const cases: Array<[string, number]> = [
      ['{"publish_ahead":"90s"}', 90_000],
      ['{"publish_ahead":120}', 120_000],
      ['{"publish_ahead":"300"}', 300_000],
      ['{"alg":"ES256","publish_ahead":"24h"}', 24 * 60 * MINUTE],
      ['{"publish_ahead":"0"}', 0],
      ['{"publish_ahead":0}', 0],
      ['{}', DEFAULT_PUBLISH_AHEAD_MS],
    ];
    for (const [body, ahead] of cases) {
      one.clock.advance(1000);
      const now = one.clock();
      const response = await call('POST', '/keys/rotate', body);
      assert.equal(response.status, 200, response.body);
      const rotation = data(response);
      assert.equal(rotation.created_at, new Date(now).toISOString(), body);
      assert.equal(rotation.activates_at, new Date(now + ahead).toISOString(), body);
      assert.equal(rotation.state, ahead === 0 ? 'current' : 'next', body);
      const listed = data<Json[]>(await call('GET', '/keys'));
      assert.equal(listed[0]!.kid, rotation.kid);
      assert.equal(listed[0]!.state, rotation.state);
      assert.equal(listed[0]!.activates_at, rotation.activates_at);
      const detail = data(await call('GET', `/keys/${rotation.kid as string}`));
      assert.equal(detail.state, rotation.state);
      assert.equal(detail.activates_at, rotation.activates_at);
      // Tokens: the new kid only from its activation on.
      const kid = kidOf(await issueToken(one, app));
      assert.equal(kid === rotation.kid, ahead === 0, body);
    }
    const states = data<Json[]>(await call('GET', '/keys')).map((entry) => entry.state);
    assert.deepEqual(states.slice(0, 2), ['next', 'current']);
    assert.ok(states.slice(2).every((state) => state === 'retired'));
  });

  it('refuses another publish_ahead with 400 invalid_request naming the field, and rotates nothing', async () => {
    const before = (await one.storage.listSigningKeys()).length;
    for (const value of [
      '"-10"',
      '-1',
      '1.5',
      '"1w"',
      '"31d"',
      '2592001',
      '"2592001"',
      'true',
      'null',
      '"soon"',
      '[]',
    ]) {
      const response = await call('POST', '/keys/rotate', `{"publish_ahead":${value}}`);
      assert.equal(response.status, 400, value);
      assert.equal(envelope(response).type, 'invalid_request', value);
      assert.match(envelope(response).message, /^publish_ahead: must be a duration such as "90s"/, value);
    }
    assert.equal((await call('POST', '/keys/rotate', '{"publish_ahead":"1m","ahead":1}')).status, 400);
    assert.equal((await one.storage.listSigningKeys()).length, before);
  });

  it('the OpenAPI document describes publish_ahead, the next state and activates_at', async () => {
    const document = (await one.send({ method: 'GET', path: '/admin/v1/openapi.json' })).json as Json;
    const schemas = (document.components as Json).schemas as Record<string, Json>;
    const signingKey = schemas.SigningKey!;
    const properties = signingKey.properties as Record<string, Json>;
    assert.deepEqual(properties.state!.enum, ['next', 'current', 'retired']);
    assert.ok((signingKey.required as string[]).includes('activates_at'));
    const request = schemas.KeyRotationRequest!.properties as Record<string, Json>;
    assert.ok(request.publish_ahead, 'publish_ahead is documented');
    assert.equal(request.publish_ahead!.default, '10m');
    assert.ok((schemas.KeyRotation!.required as string[]).includes('activates_at'));
  });
});
