import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createVerifier, TokenVerificationError } from '../src/verify/index.js';
import {
  claims,
  ed25519Key,
  type IntrospectionServer,
  ISSUER,
  jwksOf,
  signToken,
  startIntrospectionServer,
  testClock,
} from './verify-helpers.js';

const key = ed25519Key('k1');

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TokenVerificationError);
    return `${err.status} ${err.reason}`;
  }
  return 'accepted';
}

describe('verify: introspection (RFC 7662)', () => {
  const servers: IntrospectionServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function setup(answer: unknown, cacheTtlMs?: number) {
    const server = await startIntrospectionServer(answer);
    servers.push(server);
    const clock = testClock();
    const verifier = createVerifier({
      issuer: ISSUER,
      keys: jwksOf(key),
      now: clock.now,
      introspection: {
        url: server.url,
        clientId: 'resource server',
        clientSecret: 's3cr:t&=',
        ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }),
      },
    });
    return { server, clock, verifier };
  }

  it('active:true passes, with Basic form-urlencoded credentials and a form body', async () => {
    const { server, verifier } = await setup({ active: true, scope: 'sms groups' });
    const token = signToken(key);
    assert.equal(await reasonOf(verifier.verify(token)), 'accepted');
    assert.equal(server.requests, 1);
    const basic = Buffer.from((server.lastAuthorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    assert.equal(basic, 'resource+server:s3cr%3At%26%3D');
    assert.equal(server.lastContentType, 'application/x-www-form-urlencoded');
    const body = new URLSearchParams(server.lastBody);
    assert.equal(body.get('token'), token);
    assert.equal(body.get('token_type_hint'), 'access_token');
  });

  it('active:false refuses with 401 invalid_token (revoked)', async () => {
    const { verifier } = await setup({ active: false });
    const err = await verifier.verify(signToken(key)).catch((e: unknown) => e);
    assert.ok(err instanceof TokenVerificationError);
    assert.equal(err.status, 401);
    assert.equal(err.type, 'invalid_token');
    assert.equal(err.reason, 'revoked');
  });

  it('caches the answer for cacheTtlMs, then asks again (revocation is picked up)', async () => {
    const { server, clock, verifier } = await setup({ active: true }, 5000);
    const token = signToken(key);
    await verifier.verify(token);
    clock.advance(4999);
    await verifier.verify(token);
    await verifier.verify(token);
    assert.equal(server.requests, 1);
    server.setAnswer({ active: false });
    clock.advance(1);
    assert.equal(await reasonOf(verifier.verify(token)), '401 revoked');
    assert.equal(server.requests, 2);
    clock.advance(1000);
    assert.equal(await reasonOf(verifier.verify(token)), '401 revoked', 'the negative answer is cached too');
    assert.equal(server.requests, 2);
  });

  it('does not ask about tokens that fail local checks', async () => {
    const { server, verifier } = await setup({ active: true });
    assert.equal(await reasonOf(verifier.verify(signToken(key, claims({ iss: 'x' })))), '401 wrong_issuer');
    assert.equal(await reasonOf(verifier.verify('garbage')), '401 malformed');
    assert.equal(server.requests, 0);
  });

  it('concurrent verifications of one token share one request', async () => {
    const { server, verifier } = await setup({ active: true });
    const token = signToken(key);
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    assert.equal(server.requests, 1);
  });

  it('fails closed with 503 temporarily_unavailable on 5xx, a bad answer, or no server', async () => {
    const { server, clock, verifier } = await setup(500);
    const token = signToken(key);
    const err = await verifier.verify(token).catch((e: unknown) => e);
    assert.ok(err instanceof TokenVerificationError);
    assert.equal(err.status, 503);
    assert.equal(err.type, 'temporarily_unavailable');
    assert.equal(err.code, 1653);
    assert.equal(err.uri, 'https://docs.sms.cx/#temporarily_unavailable');
    assert.equal(err.reason, 'introspection_unavailable');
    server.setAnswer({ active: 'yes' });
    assert.equal(await reasonOf(verifier.verify(token)), '503 introspection_unavailable');
    server.setAnswer({ active: true });
    assert.equal(await reasonOf(verifier.verify(token)), 'accepted', 'a failure is not cached');
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    clock.advance(10_000);
    assert.equal(await reasonOf(verifier.verify(token)), '503 introspection_unavailable');
  });
});
