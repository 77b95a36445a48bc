import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createVerifier, TokenVerificationError } from '../src/verify/index.js';
import { b64url, claims, ed25519Key, ISSUER, jwksOf, signToken, T0 } from './verify-helpers.js';

const key = ed25519Key('k1');
const verifier = createVerifier({ issuer: ISSUER, keys: jwksOf(key), now: () => T0 });
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Resolves to 'accepted' or the refusal reason; fails the property on any other throw. */
async function outcome(token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (err) {
    if (!(err instanceof TokenVerificationError)) throw err;
    assert.ok(err.status === 401 || err.status === 403);
    return err.reason;
  }
}

const segment = fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 120 });

describe('verify: properties (fast-check)', () => {
  it('random strings never throw anything but TokenVerificationError, and are never accepted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ maxLength: 9000 })),
        async (s) => {
          assert.notEqual(await outcome(s), 'accepted');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random three-segment base64url strings and random JSON headers/payloads are refused', async () => {
    const json = fc.jsonValue({ maxDepth: 2 });
    const token = fc.oneof(
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.tuple(json, json, segment).map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${s}`),
      fc
        .tuple(fc.dictionary(fc.constantFrom('alg', 'typ', 'kid', 'crit', 'jwk'), json), segment)
        .map(
          ([h, s]) => `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1', ...h })}.${b64url(claims())}.${s}`,
        ),
    );
    await fc.assert(
      fc.asyncProperty(token, async (t) => {
        assert.notEqual(await outcome(t), 'accepted');
      }),
      { numRuns: 300 },
    );
  });

  it('validly signed random claims sets only ever pass or fail with TokenVerificationError', async () => {
    const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined));
    const overrides = fc.dictionary(
      fc.constantFrom('iss', 'sub', 'client_id', 'scope', 'iat', 'exp', 'nbf', 'jti', 'aud'),
      claimValue,
    );
    await fc.assert(
      fc.asyncProperty(overrides, async (o) => {
        const payload = claims(o);
        const input = `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })}.${b64url(payload)}`;
        const token = `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
        const result = await outcome(token);
        if (result === 'accepted') {
          const v = await verifier.verify(token);
          assert.equal(v.iss, ISSUER);
          assert.equal(typeof v.sub, 'string');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('changing any one character of a valid token makes it refused', async () => {
    const token = signToken(key);
    await verifier.verify(token);
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...B64URL, '.', '='), async (i, c) => {
        fc.pre(token[i] !== c);
        const mutated = token.slice(0, i) + c + token.slice(i + 1);
        assert.notEqual(await outcome(mutated), 'accepted');
      }),
      { numRuns: 300 },
    );
  });
});
