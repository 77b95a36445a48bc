import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { JWKS_MAX_AGE_SECONDS } from '../src/keys/schedule.js';
import { createVerifier, DEFAULT_JWKS_MAX_AGE_MS, TokenVerificationError } from '../src/verify/index.js';
import { waitFor } from './helpers.js';
import { ed25519Key, ISSUER, jwksOf, signToken, startJwksServer, testClock } from './verify-helpers.js';

const k1 = ed25519Key('k1');
const k2 = ed25519Key('k2');

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TokenVerificationError);
    return err.reason;
  }
  return 'accepted';
}

describe('verify: remote JWKS', () => {
  const servers: { close(): Promise<void> }[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function setup(initial: unknown, cooldownMs = 5000) {
    const jwks = await startJwksServer(initial);
    servers.push(jwks);
    const clock = testClock();
    const verifier = createVerifier({
      issuer: ISSUER,
      jwksUrl: jwks.url,
      now: clock.now,
      jwksCooldownMs: cooldownMs,
    });
    return { jwks, clock, verifier };
  }

  it('fetches the JWKS once and reuses it', async () => {
    const { jwks, verifier } = await setup(jwksOf(k1));
    await verifier.verify(signToken(k1));
    await verifier.verify(signToken(k1));
    await verifier.verify(signToken(k1));
    assert.equal(jwks.requests, 1);
  });

  it('shares one in-flight request between concurrent first verifications', async () => {
    const { jwks, verifier } = await setup(jwksOf(k1));
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(signToken(k1))));
    assert.equal(results.length, 20);
    assert.equal(jwks.requests, 1);
  });

  it('an unknown kid triggers one refetch, then the cooldown holds further refetches', async () => {
    const { jwks, clock, verifier } = await setup(jwksOf(k1), 5000);
    await verifier.verify(signToken(k1));
    assert.equal(jwks.requests, 1);
    clock.advance(5000);
    const unknown = ed25519Key('k9');
    assert.equal(await reasonOf(verifier.verify(signToken(unknown))), 'unknown_key');
    assert.equal(jwks.requests, 2);
    for (let i = 0; i < 5; i++) {
      clock.advance(900);
      assert.equal(await reasonOf(verifier.verify(signToken(unknown))), 'unknown_key');
    }
    assert.equal(jwks.requests, 2, 'no refetch within the cooldown');
    clock.advance(500);
    assert.equal(await reasonOf(verifier.verify(signToken(unknown))), 'unknown_key');
    assert.equal(jwks.requests, 3, 'one refetch once the cooldown has passed');
  });

  it('concurrent unknown kids share one refetch', async () => {
    const { jwks, clock, verifier } = await setup(jwksOf(k1));
    await verifier.verify(signToken(k1));
    clock.advance(10_000);
    const reasons = await Promise.all(
      Array.from({ length: 10 }, () => reasonOf(verifier.verify(signToken(k2)))),
    );
    assert.deepEqual(new Set(reasons), new Set(['unknown_key']));
    assert.equal(jwks.requests, 2);
  });

  it('key rotation: a verifier with the old JWKS cached picks up the new kid', async () => {
    const { jwks, clock, verifier } = await setup(jwksOf(k1));
    await verifier.verify(signToken(k1));
    jwks.setKeys(jwksOf(k2, k1));
    clock.advance(6000);
    const rotated = await verifier.verify(signToken(k2, undefined));
    assert.equal(rotated.iss, ISSUER);
    assert.equal(jwks.requests, 2);
    await verifier.verify(signToken(k1)); // the old key is still published, still trusted
    assert.equal(jwks.requests, 2);
  });

  it('a key withdrawn from the JWKS stops verifying, cached tokens included', async () => {
    const { jwks, clock, verifier } = await setup(jwksOf(k1, k2));
    const oldToken = signToken(k1);
    await verifier.verify(oldToken);
    jwks.setKeys(jwksOf(k2));
    clock.advance(6000);
    await assert.rejects(verifier.verify(signToken(ed25519Key('k3'))), TokenVerificationError); // forces a refetch
    assert.equal(jwks.requests, 2);
    assert.equal(await reasonOf(verifier.verify(oldToken)), 'unknown_key');
    assert.equal(await reasonOf(verifier.verify(signToken(k2))), 'accepted');
  });

  it('refreshes a JWKS older than jwksMaxAgeMs in the background', async () => {
    const jwks = await startJwksServer(jwksOf(k1));
    servers.push(jwks);
    const clock = testClock();
    const verifier = createVerifier({
      issuer: ISSUER,
      jwksUrl: jwks.url,
      now: clock.now,
      jwksMaxAgeMs: 60_000,
    });
    await verifier.verify(signToken(k1));
    clock.advance(61_000);
    await verifier.verify(signToken(k1)); // served from the loaded keys, refresh started
    await waitFor(() => jwks.requests >= 2, 'the background JWKS refresh', 500);
    assert.equal(jwks.requests, 2);
  });

  it("by default refreshes after the server's own JWKS max-age, not before", async () => {
    assert.equal(DEFAULT_JWKS_MAX_AGE_MS, JWKS_MAX_AGE_SECONDS * 1000);
    const { jwks, clock, verifier } = await setup(jwksOf(k1));
    await verifier.verify(signToken(k1));
    clock.advance(DEFAULT_JWKS_MAX_AGE_MS);
    await verifier.verify(signToken(k1)); // exactly max-age old: still fresh
    assert.equal(jwks.requests, 1);
    clock.advance(1);
    await verifier.verify(signToken(k1)); // older: served from the loaded keys, refresh started
    await waitFor(() => jwks.requests >= 2, 'the background JWKS refresh', 500);
    assert.equal(jwks.requests, 2);
  });

  it('503 keys_unavailable while no JWKS could be loaded; recovers after the cooldown', async () => {
    const { jwks, clock, verifier } = await setup(jwksOf(k1));
    jwks.setStatus(500);
    const token = signToken(k1);
    await assert.rejects(verifier.verify(token), (err: unknown) => {
      assert.ok(err instanceof TokenVerificationError);
      assert.equal(err.status, 503);
      assert.equal(err.type, 'temporarily_unavailable');
      assert.equal(err.reason, 'keys_unavailable');
      return true;
    });
    assert.equal(await reasonOf(verifier.verify(token)), 'keys_unavailable');
    assert.equal(jwks.requests, 1, 'a failed fetch also starts the cooldown');
    jwks.setStatus(0);
    clock.advance(5000);
    assert.equal(await reasonOf(verifier.verify(token)), 'accepted');
    assert.equal(jwks.requests, 2);
  });

  it('keeps the loaded keys when a refetch fails', async () => {
    const { jwks, clock, verifier } = await setup(jwksOf(k1));
    await verifier.verify(signToken(k1));
    jwks.setStatus(503);
    clock.advance(6000);
    assert.equal(await reasonOf(verifier.verify(signToken(k2))), 'unknown_key');
    assert.equal(jwks.requests, 2);
    assert.equal(await reasonOf(verifier.verify(signToken(k1))), 'accepted');
  });

  it('defaults jwksUrl to {issuer}/.well-known/jwks.json', async () => {
    const jwks = await startJwksServer(jwksOf(k1));
    servers.push(jwks);
    const issuer = jwks.url.replace('/.well-known/jwks.json', '');
    const verifier = createVerifier({ issuer });
    const payload = {
      ...JSON.parse(Buffer.from(signToken(k1).split('.')[1] as string, 'base64url').toString()),
    };
    payload.iss = issuer;
    payload.iat = Math.floor(Date.now() / 1000);
    payload.exp = payload.iat + 60;
    assert.equal((await verifier.verify(signToken(k1, payload))).iss, issuer);
    assert.equal(jwks.requests, 1);
  });

  it('skips unusable keys in the set (use enc, no kid, wrong type, garbage)', async () => {
    const encKey = { ...ed25519Key('enc').jwk, use: 'enc' };
    const noKid = { ...ed25519Key('x').jwk, kid: undefined };
    const rsaAlgMismatch = { ...k2.jwk, alg: 'RS256' };
    const { verifier } = await setup({
      keys: [encKey, noKid, rsaAlgMismatch, 42, { kty: 'OKP', kid: 'bad' }, k1.jwk],
    });
    assert.equal(await reasonOf(verifier.verify(signToken(k1))), 'accepted');
    assert.equal(await reasonOf(verifier.verify(signToken(k2))), 'unknown_key');
    assert.equal(await reasonOf(verifier.verify(signToken({ ...k1, kid: 'enc' }))), 'unknown_key');
  });
});
