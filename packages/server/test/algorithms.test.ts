// The signing algorithms of the token server (EdDSA, the default; ES256; RS256), end to end in
// process (fixture.ts): a key rotated to each algorithm signs the next token with that `alg`, the
// JWKS publishes it with the right members and its RFC 7638 thumbprint as `kid`, and the token is
// accepted by the verifier library, by `jose` (a test-only dependency: an independent JOSE
// implementation), by introspection, revocation and the Bearer check of /applications/scopes.
// Then rotation from one algorithm to another, `POST /admin/v1/keys/rotate {"alg"}` and
// `keys rotate --alg`.
import assert from 'node:assert/strict';
import type { JsonWebKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { createApiKey } from '../src/admin/api-keys.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../src/keys/key-material.js';
import { RETIRED_KEY_RETENTION_MS } from '../src/keys/retention.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { createVerifier, type JsonWebKeySet, TokenVerificationError } from '../src/verify/index.js';
import { type InProcessServer, inProcessServer } from './fixture.js';
import {
  decodeJwt,
  envelope,
  type RawResponse,
  runInProcess,
  type TestApplication,
  tempDb,
} from './helpers.js';
import { getScopes, introspect, issueToken, revoke } from './lifecycle-helpers.js';

const ISSUER = 'https://auth.algorithms.test';
const AUDIENCE = 'https://api.sms.cx';

/** What each algorithm's JWKS entry holds: its members, and the byte length of its key and signature. */
const EXPECTED: Record<
  SigningAlgorithm,
  { members: string[]; fixed: Record<string, string>; sizes: Record<string, number>; signature: number }
> = {
  EdDSA: {
    members: ['alg', 'crv', 'kid', 'kty', 'use', 'x'],
    fixed: { kty: 'OKP', crv: 'Ed25519' },
    sizes: { x: 32 },
    signature: 64,
  },
  ES256: {
    members: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
    fixed: { kty: 'EC', crv: 'P-256' },
    sizes: { x: 32, y: 32 },
    signature: 64, // raw r || s, not DER
  },
  RS256: {
    members: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
    fixed: { kty: 'RSA', e: 'AQAB' },
    sizes: { n: 256 },
    signature: 256,
  },
};

type Json = Record<string, unknown>;

async function jwksOf(server: InProcessServer): Promise<JsonWebKeySet & { keys: JsonWebKey[] }> {
  const response = await server.send({ method: 'GET', path: '/.well-known/jwks.json' });
  assert.equal(response.status, 200);
  return response.json as { keys: JsonWebKey[] };
}

/** Verifies `token` with the verifier library (static JWKS) and with jose; returns the client_id of both. */
async function verifyBoth(server: InProcessServer, token: string, alg: SigningAlgorithm): Promise<string[]> {
  const jwks = await jwksOf(server);
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: jwks, now: server.clock });
  const ours = await verifier.verify(token, { scopes: ['sms'] });
  const theirs = await jwtVerify(token, createLocalJWKSet(jwks as { keys: JWK[] }), {
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: 'at+jwt',
    algorithms: [alg],
    currentDate: new Date(server.clock()),
  });
  return [ours.client_id, theirs.payload.client_id as string];
}

describe('signing algorithms: tokens of each algorithm', () => {
  let server: InProcessServer;
  let app: TestApplication;

  before(async () => {
    server = await inProcessServer({ issuer: ISSUER, audience: AUDIENCE });
    app = await server.createApplication({ name: 'algorithms', scopes: 'sms groups' });
  });
  after(async () => server?.close());

  it('a new database starts with an EdDSA key', async () => {
    const keys = await server.storage.listSigningKeys();
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.alg, 'EdDSA');
    const token = await issueToken(server, app);
    assert.equal(decodeJwt(token).header.alg, 'EdDSA');
  });

  for (const alg of SIGNING_ALGORITHMS) {
    it(`${alg}: the key's algorithm signs the token; JWKS, verifier, jose, introspection and revocation agree`, async () => {
      server.clock.advance(1000);
      const kid = await server.admin.rotateKey({ alg, publishAheadMs: 0 });
      const token = await issueToken(server, app, 'sms');

      const { header, payload } = decodeJwt(token);
      assert.deepEqual(header, { alg, typ: 'at+jwt', kid });
      assert.equal(payload.client_id, app.application_id);
      const signature = Buffer.from(token.split('.')[2]!, 'base64url');
      assert.equal(signature.length, EXPECTED[alg].signature);

      // The JWKS entry: exactly the members of its key type, and kid = the RFC 7638 thumbprint
      // (computed here by jose, independently of the server).
      const entry = (await jwksOf(server)).keys.find((key) => key.kid === kid);
      assert.ok(entry, 'the new key is published');
      assert.deepEqual(Object.keys(entry).sort(), EXPECTED[alg].members);
      assert.equal(entry.alg, alg);
      assert.equal(entry.use, 'sig');
      for (const [member, value] of Object.entries(EXPECTED[alg].fixed)) assert.equal(entry[member], value);
      for (const [member, bytes] of Object.entries(EXPECTED[alg].sizes)) {
        assert.equal(Buffer.from(entry[member] as string, 'base64url').length, bytes, member);
      }
      assert.equal(await calculateJwkThumbprint(entry as JWK, 'sha256'), kid);
      const record = (await server.storage.listSigningKeys()).find((key) => key.kid === kid);
      assert.equal(record?.alg, alg);
      assert.deepEqual(JSON.parse(record.publicJwk), entry);

      assert.deepEqual(await verifyBoth(server, token, alg), [app.application_id, app.application_id]);

      // The server's own checks: introspection, the Bearer check, revocation.
      const answer = await introspect(server, app, token);
      assert.equal(answer.active, true);
      assert.equal(answer.client_id, app.application_id);
      assert.equal((await getScopes(server, token)).status, 200);
      assert.equal((await revoke(server, app, token)).status, 200);
      assert.equal((await introspect(server, app, token)).active, false);
      assert.equal((await getScopes(server, token)).status, 401);
    });
  }

  it('a forged token of each algorithm is refused by introspection and the Bearer check', async () => {
    const good = await issueToken(server, app);
    const [, payload] = good.split('.');
    const kids = (await jwksOf(server)).keys;
    for (const key of kids) {
      for (const alg of [...SIGNING_ALGORITHMS, 'HS256', 'none', 'PS256', 'RS384']) {
        if (alg === key.alg) continue;
        const head = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid: key.kid })).toString('base64url');
        const forged = `${head}.${payload}.${good.split('.')[2]}`;
        assert.equal((await introspect(server, app, forged)).active, false, `${alg} on ${key.alg}`);
        assert.equal((await getScopes(server, forged)).status, 401, `${alg} on ${key.alg}`);
      }
    }
  });
});

describe('signing algorithms: rotating from one algorithm to another', () => {
  let server: InProcessServer;
  let app: TestApplication;

  before(async () => {
    server = await inProcessServer({ issuer: ISSUER, audience: AUDIENCE });
    app = await server.createApplication({ name: 'rotation', scopes: 'sms' });
  });
  after(async () => server?.close());

  it('old tokens stay verifiable while their key is published; retention drops keys of every algorithm', async () => {
    const base = await server.listen();
    const remote = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `${base}/.well-known/jwks.json`,
      jwksCooldownMs: 0,
      now: server.clock,
    });
    const tokens: [SigningAlgorithm, string, string][] = [];
    for (const alg of ['EdDSA', 'ES256', 'RS256', 'ES256', 'EdDSA'] as const) {
      server.clock.advance(60_000);
      const kid = await server.admin.rotateKey({ alg, publishAheadMs: 0 });
      const token = await issueToken(server, app);
      tokens.push([alg, kid, token]);
      // Every token so far, whatever its algorithm, still verifies everywhere.
      for (const [oldAlg, , old] of tokens) {
        assert.equal((await remote.verify(old)).client_id, app.application_id, oldAlg);
        assert.deepEqual(await verifyBoth(server, old, oldAlg), [app.application_id, app.application_id]);
        assert.equal((await introspect(server, app, old)).active, true, oldAlg);
      }
    }
    const published = (await jwksOf(server)).keys.map((key) => key.kid);
    for (const [, kid] of tokens) assert.ok(published.includes(kid));

    // Past retention, a rotation drops every retired key but the one it retires, of any algorithm.
    server.clock.advance(RETIRED_KEY_RETENTION_MS + 60_000);
    const newest = await server.admin.rotateKey({ alg: 'RS256', publishAheadMs: 0 });
    const left = (await jwksOf(server)).keys.map((key) => `${key.alg}:${key.kid}`).sort();
    assert.deepEqual(left, [`EdDSA:${tokens.at(-1)![1]}`, `RS256:${newest}`].sort());
    const fresh = createVerifier({ issuer: ISSUER, keys: await jwksOf(server), now: server.clock });
    await assert.rejects(fresh.verify(tokens[1]![2]), (err: unknown) => {
      assert.ok(err instanceof TokenVerificationError);
      assert.equal(err.reason, 'unknown_key'); // its ES256 key is gone (the token has expired too)
      return true;
    });
  });
});

describe('signing algorithms: POST /admin/v1/keys/rotate', () => {
  let server: InProcessServer;
  let key: string;
  let app: TestApplication;

  function call(method: string, path: string, body?: string, contentType = 'application/json') {
    return server.send({
      method,
      path: `/admin/v1${path}`,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body }),
    });
  }
  const data = <T = Json>(response: RawResponse): T => (response.json as { data: T }).data;

  before(async () => {
    server = await inProcessServer({ issuer: ISSUER, audience: AUDIENCE });
    key = (await createApiKey(server.storage, server.pepper, 'algorithm tests')).key;
    app = await server.createApplication({ name: 'admin-rotate' });
  });
  after(async () => server?.close());

  it('{"alg"} chooses the new key\'s algorithm; no body or {} is EdDSA; GET /keys shows each alg', async () => {
    const cases: [string | undefined, SigningAlgorithm][] = [
      ['{"alg":"ES256"}', 'ES256'],
      ['{"alg":"RS256"}', 'RS256'],
      ['{"alg":"EdDSA"}', 'EdDSA'],
      ['{"alg":"RS256"}', 'RS256'],
      [undefined, 'EdDSA'],
      ['{"alg":"ES256"}', 'ES256'],
      ['{}', 'EdDSA'],
      ['', 'EdDSA'],
    ];
    for (const [body, alg] of cases) {
      server.clock.advance(1000);
      const response = await call('POST', '/keys/rotate', body);
      assert.equal(response.status, 200, response.body);
      const rotation = data(response);
      assert.deepEqual(Object.keys(rotation), [
        'kid',
        'alg',
        'state',
        'created_at',
        'activates_at',
        'retired',
        'replaced',
        'pruned',
      ]);
      assert.equal(rotation.alg, alg, String(body));
      // Published ahead by the default: the key signs once the test clock reaches its activation.
      assert.equal(rotation.state, 'next');
      server.clock.set(Date.parse(rotation.activates_at as string));
      const header = decodeJwt(await issueToken(server, app)).header;
      assert.deepEqual(header, { alg, typ: 'at+jwt', kid: rotation.kid }, String(body));
      const detail = data(await call('GET', `/keys/${rotation.kid as string}`));
      assert.equal(detail.alg, alg);
      assert.equal((detail.public_jwk as Json).alg, alg);
    }
    const listed = data<Json[]>(await call('GET', '/keys'));
    const records = await server.storage.listSigningKeys();
    assert.equal(listed.length, records.length);
    for (const entry of listed) {
      const record = records.find((candidate) => candidate.kid === entry.kid)!;
      assert.equal(entry.alg, record.alg);
      assert.equal(entry.alg, JSON.parse(record.publicJwk).alg);
    }
    assert.deepEqual(
      listed.slice(0, cases.length).map((entry) => entry.alg),
      cases.map(([, alg]) => alg).reverse(),
      'newest first, each with its algorithm',
    );
  });

  it('refuses another algorithm or field with 400 invalid_request, and rotates nothing', async () => {
    const before = (await server.storage.listSigningKeys()).length;
    const refusals: [string, string, string?][] = [
      ['{"alg":"HS256"}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":"none"}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":"es256"}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":"Ed25519"}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":"PS256"}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":256}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":null}', 'alg: must be EdDSA, ES256 or RS256'],
      ['{"alg":"ES256","bogus":1}', 'body: unknown field "bogus"'],
      ['["ES256"]', 'body: must be a JSON object'],
      ['alg=ES256', 'Content-Type must be application/json', 'application/x-www-form-urlencoded'],
    ];
    for (const [body, message, contentType] of refusals) {
      const response = await call('POST', '/keys/rotate', body, contentType);
      assert.equal(response.status, 400, body);
      assert.equal(envelope(response).type, 'invalid_request', body);
      assert.equal(envelope(response).message, message, body);
    }
    assert.equal((await server.storage.listSigningKeys()).length, before);
  });

  it("the OpenAPI document describes the optional body and the answer's alg", async () => {
    const document = (await server.send({ method: 'GET', path: '/admin/v1/openapi.json' })).json as Json;
    const rotate = ((document.paths as Json)['/admin/v1/keys/rotate'] as Json).post as Json;
    assert.equal((rotate.requestBody as Json).required, false);
    const schemas = (document.components as Json).schemas as Record<string, Json>;
    const alg = (schemas.KeyRotationRequest!.properties as Record<string, Json>).alg!;
    assert.deepEqual(alg.enum, ['EdDSA', 'ES256', 'RS256']);
    assert.ok((schemas.KeyRotation!.required as string[]).includes('alg'));
  });
});

describe('signing algorithms: keys rotate --alg', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  it('makes a key of each algorithm; --json prints its alg', async () => {
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      const result = await runInProcess(['keys', 'rotate', '--db', tmp.db, '--alg', alg, '--json']);
      assert.equal(result.status, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as { kid: string; alg: string };
      assert.equal(printed.alg, alg);
      const storage = openSqliteStorage(tmp.db);
      try {
        const record = (await storage.listSigningKeys()).find((candidate) => candidate.kid === printed.kid);
        assert.equal(record?.alg, alg);
        assert.equal(record.retiredAt, null);
        assert.equal(JSON.parse(record.publicJwk).alg, alg);
      } finally {
        await storage.close();
      }
    }
    const text = await runInProcess(['keys', 'rotate', '--db', tmp.db, '--alg', 'ES256']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^new signing key \S+ \(ES256\): published in the JWKS now, signs from /);
    const byDefault = await runInProcess(['keys', 'rotate', '--db', tmp.db, '--json']);
    assert.equal((JSON.parse(byDefault.stdout) as { alg: string }).alg, 'EdDSA');
  });

  it('another value is a usage error (exit 2) naming the choices', async () => {
    for (const value of ['HS256', 'es256', 'Ed25519', 'none', '']) {
      const result = await runInProcess(['keys', 'rotate', '--db', tmp.db, '--alg', value]);
      assert.equal(result.status, 2, value);
      assert.match(result.stderr, /^error: --alg must be EdDSA, ES256 or RS256\n\nUsage: smscx-oauth-server/);
      assert.equal(result.stdout, '');
    }
    const missing = await runInProcess(['keys', 'rotate', '--db', tmp.db, '--alg']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^error: .*--alg/);
  });
});
