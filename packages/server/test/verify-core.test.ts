import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createVerifier,
  INSUFFICIENT_SCOPE_CODE,
  INVALID_TOKEN_CODE,
  type TokenErrorReason,
  TokenVerificationError,
  type VerifierOptions,
} from '../src/verify/index.js';
import {
  APP_ID,
  AUDIENCE,
  b64url,
  claims,
  ed25519Key,
  ISSUER,
  jwksOf,
  signHs256,
  signToken,
  T0,
  testClock,
} from './verify-helpers.js';

const key = ed25519Key('k1');
const otherKey = ed25519Key('k1'); // same kid, different key material

function verifier(overrides: Partial<VerifierOptions> = {}) {
  const clock = testClock();
  const v = createVerifier({
    issuer: ISSUER,
    keys: jwksOf(key),
    audience: AUDIENCE,
    now: clock.now,
    ...overrides,
  });
  return { v, clock };
}

async function refused(
  promise: Promise<unknown>,
  reason: TokenErrorReason,
  status: 401 | 403 | 503 = 401,
): Promise<TokenVerificationError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected refusal (${reason})`),
    (err: unknown) => {
      caught = err;
    },
  );
  assert.ok(caught instanceof TokenVerificationError, `not a TokenVerificationError: ${String(caught)}`);
  assert.equal(caught.reason, reason);
  assert.equal(caught.status, status);
  return caught;
}

describe('verify: valid tokens', () => {
  it('accepts a token from the server and returns its claims', async () => {
    const { v } = verifier();
    const payload = claims({ jti: 'jti-1' });
    const result = await v.verify(signToken(key, payload));
    assert.equal(result.sub, APP_ID);
    assert.equal(result.client_id, APP_ID);
    assert.equal(result.scope, 'sms groups');
    assert.deepEqual(result.scopes, ['sms', 'groups']);
    assert.equal(result.iat, Math.floor(T0 / 1000));
    assert.equal(result.exp, Math.floor(T0 / 1000) + 86_400);
    assert.equal(result.jti, 'jti-1');
    assert.equal(result.iss, ISSUER);
    assert.equal(result.aud, AUDIENCE);
    assert.deepEqual(result.claims, payload);
    assert.ok(Object.isFrozen(result) && Object.isFrozen(result.scopes));
  });

  it('accepts a never-expiring token (no exp), even years later', async () => {
    const { v, clock } = verifier();
    const payload = claims();
    delete payload.exp;
    const token = signToken(key, payload);
    const result = await v.verify(token);
    assert.equal('exp' in result, false);
    clock.advance(10 * 365 * 86_400_000);
    assert.equal((await v.verify(token)).jti, payload.jti);
  });

  it('accepts typ application/at+jwt (case-insensitive) and an aud array containing the audience', async () => {
    const { v } = verifier();
    const token = signToken(key, claims({ aud: ['other', AUDIENCE] }), { typ: 'Application/AT+JWT' });
    assert.deepEqual((await v.verify(token)).aud, ['other', AUDIENCE]);
  });

  it('does not check aud when no audience is configured', async () => {
    const { v } = verifier({ audience: undefined });
    assert.equal((await v.verify(signToken(key, claims({ aud: 'https://elsewhere' })))).sub, APP_ID);
  });

  it('verifies tokens of any length in turn with the same reused signing buffers', async () => {
    const { v } = verifier({ cacheSize: 0 });
    const long = claims({ jti: 'long', note: 'x'.repeat(3000) });
    const tokens = [claims({ jti: 'short-1' }), long, claims({ jti: 'short-2' }), long];
    for (const payload of tokens) assert.equal((await v.verify(signToken(key, payload))).jti, payload.jti);
    const good = signToken(key, claims({ jti: 'after-long' }));
    await v.verify(signToken(key, long));
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${signToken(key, long).split('.')[2]}`;
    await refused(v.verify(forged), 'bad_signature');
  });

  it('honours leeway: expired by less than leewaySeconds passes, by more fails', async () => {
    const { v, clock } = verifier({ leewaySeconds: 30, cacheSize: 0 });
    const token = signToken(key, claims());
    clock.set(T0 + 86_400_000 + 29_000);
    await v.verify(token);
    clock.set(T0 + 86_400_000 + 30_000);
    await refused(v.verify(token), 'expired');
  });
});

describe('verify: scopes', () => {
  it('passes when every required scope is granted', async () => {
    const { v } = verifier();
    assert.equal((await v.verify(signToken(key), { scopes: ['groups', 'sms'] })).scope, 'sms groups');
  });

  it('refuses with 403 insufficient_scope naming the required scopes', async () => {
    const { v } = verifier();
    const err = await refused(
      v.verify(signToken(key), { scopes: ['sms', 'viber'] }),
      'insufficient_scope',
      403,
    );
    assert.equal(err.type, 'insufficient_scope');
    assert.equal(err.code, INSUFFICIENT_SCOPE_CODE);
    assert.equal(
      err.wwwAuthenticate,
      'Bearer realm="smscx", error="insufficient_scope", error_description="The access token lacks the required scope", scope="sms viber"',
    );
    assert.deepEqual(err.toEnvelope(), {
      error: {
        type: 'insufficient_scope',
        code: 1603,
        message: 'The access token lacks the required scope',
        uri: 'https://docs.sms.cx/#insufficient_scope',
      },
    });
  });

  it('checks scopes on cached tokens too, per call', async () => {
    const { v } = verifier();
    const token = signToken(key, claims({ scope: 'sms' }));
    await v.verify(token, { scopes: ['sms'] });
    await refused(v.verify(token, { scopes: ['groups'] }), 'insufficient_scope', 403);
    await refused(v.verify(token, { scopes: ['SMS'] }), 'insufficient_scope', 403); // case-sensitive
  });
});

describe('verify: forged and invalid tokens', () => {
  it('refuses alg none', async () => {
    const { v } = verifier();
    const token = `${b64url({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${b64url(claims())}.`;
    await refused(v.verify(token), 'malformed'); // an empty signature is not even a compact JWS here
    const withSig = `${b64url({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${b64url(claims())}.AAAA`;
    await refused(v.verify(withSig), 'alg_not_allowed');
  });

  it('refuses HS256 signed with the public key bytes (key confusion)', async () => {
    const { v } = verifier();
    for (const secret of [
      Buffer.from(key.jwk.x as string, 'base64url'),
      key.jwk.x as string,
      key.publicKey.export({ format: 'pem', type: 'spki' }),
      JSON.stringify(key.jwk),
    ]) {
      const err = await refused(v.verify(signHs256(secret, claims(), 'k1')), 'alg_not_allowed');
      assert.equal(err.code, INVALID_TOKEN_CODE);
    }
  });

  it('refuses none and HMAC even when asked to allow them', () => {
    for (const alg of ['none', 'HS256', 'HS384', 'HS512', 'RSA-OAEP', 'nonsense']) {
      assert.throws(
        () => createVerifier({ issuer: ISSUER, keys: jwksOf(key), algorithms: [alg] }),
        TypeError,
      );
    }
  });

  it('refuses an alg the key does not fit (ES256 header, Ed25519 key)', async () => {
    const { v } = verifier({ algorithms: ['EdDSA', 'ES256'] });
    await refused(v.verify(signToken(key, claims(), { alg: 'ES256' })), 'unknown_key');
  });

  it('refuses an Ed25519 token when EdDSA is not in the allow-list', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'ec1' };
    const { v } = verifier({ keys: { keys: [ecJwk, key.jwk] }, algorithms: ['ES256'] });
    await refused(v.verify(signToken(key)), 'alg_not_allowed');
  });

  it('verifies ES256 when allowed (ieee-p1363 signatures)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'ec1', alg: 'ES256' };
    const { v } = verifier({ keys: { keys: [ecJwk] }, algorithms: ['ES256'] });
    const input = `${b64url({ alg: 'ES256', typ: 'at+jwt', kid: 'ec1' })}.${b64url(claims())}`;
    const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal((await v.verify(`${input}.${sig.toString('base64url')}`)).sub, APP_ID);
    const der = sign('sha256', Buffer.from(input), privateKey);
    await refused(v.verify(`${input}.${der.toString('base64url')}`), 'bad_signature');
  });

  it('verifies RS256 and PS256 with a 2048-bit RSA key; refuses a 1024-bit key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { v } = verifier({
      keys: {
        keys: [
          { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa' },
          { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak' },
        ],
      },
      algorithms: ['RS256', 'PS256'],
    });
    const rsaSigned = (alg: 'RS256' | 'PS256', kid: string, privateKey: typeof rsa.privateKey) => {
      const input = `${b64url({ alg, typ: 'at+jwt', kid })}.${b64url(claims())}`;
      const options =
        alg === 'PS256'
          ? {
              key: privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            }
          : privateKey;
      return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
    };
    assert.equal((await v.verify(rsaSigned('RS256', 'rsa', rsa.privateKey))).sub, APP_ID);
    assert.equal((await v.verify(rsaSigned('PS256', 'rsa', rsa.privateKey))).sub, APP_ID);
    const confused = rsaSigned('RS256', 'rsa', rsa.privateKey).replace(
      b64url({ alg: 'RS256', typ: 'at+jwt', kid: 'rsa' }),
      b64url({ alg: 'PS256', typ: 'at+jwt', kid: 'rsa' }),
    );
    await refused(v.verify(confused), 'bad_signature');
    await refused(v.verify(rsaSigned('RS256', 'weak', weak.privateKey)), 'unknown_key');
  });

  it('refuses a wrong issuer, a missing issuer and a wrong audience', async () => {
    const { v } = verifier();
    await refused(v.verify(signToken(key, claims({ iss: 'https://evil.example' }))), 'wrong_issuer');
    await refused(v.verify(signToken(key, claims({ iss: `${ISSUER}/` }))), 'wrong_issuer');
    await refused(v.verify(signToken(key, claims({ iss: undefined }))), 'wrong_issuer');
    await refused(v.verify(signToken(key, claims({ aud: 'https://api.other' }))), 'wrong_audience');
    await refused(v.verify(signToken(key, claims({ aud: ['a', 'b'] }))), 'wrong_audience');
  });

  it('refuses a tampered payload and a tampered signature', async () => {
    const { v } = verifier();
    const token = signToken(key, claims({ scope: 'sms' }));
    const [h, , s] = token.split('.');
    const elevated = `${h}.${b64url(claims({ scope: 'sms groups templates' }))}.${s}`;
    await refused(v.verify(elevated), 'bad_signature');
    const sig = Buffer.from(s as string, 'base64url');
    sig[10] = (sig[10] as number) ^ 1;
    await refused(v.verify(`${h}.${token.split('.')[1]}.${sig.toString('base64url')}`), 'bad_signature');
    await refused(v.verify(signToken(otherKey)), 'bad_signature');
  });

  it('refuses a non-canonical base64url signature (spare bits set)', async () => {
    const { v } = verifier({ cacheSize: 0 });
    const token = signToken(key);
    await v.verify(token);
    // 64 bytes -> 86 chars; the last char carries 4 unused bits. 'A' -> 'B' sets one of them.
    const last = token.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) + 1]}`;
    assert.deepEqual(
      Buffer.from(twin.split('.')[2] as string, 'base64url'),
      Buffer.from(token.split('.')[2] as string, 'base64url'),
    );
    await refused(v.verify(twin), 'malformed');
  });

  it('refuses an expired token, nbf in the future, and iat in the future (injected clock)', async () => {
    const { v, clock } = verifier({ leewaySeconds: 0 });
    const nowS = Math.floor(T0 / 1000);
    await refused(v.verify(signToken(key, claims({ exp: nowS }))), 'expired');
    await refused(v.verify(signToken(key, claims({ nbf: nowS + 60 }))), 'not_yet_valid');
    await refused(v.verify(signToken(key, claims({ iat: nowS + 60 }))), 'issued_in_future');
    const later = signToken(key, claims({ nbf: nowS + 60 }));
    clock.advance(60_000);
    assert.equal((await v.verify(later)).sub, APP_ID);
  });

  it('refuses a wrong or missing typ', async () => {
    const { v } = verifier();
    await refused(v.verify(signToken(key, claims(), { typ: 'JWT' })), 'unsupported_type');
    await refused(v.verify(signToken(key, claims(), { typ: undefined })), 'unsupported_type');
  });

  it('refuses an unknown kid, a missing kid, and a crit header', async () => {
    const { v } = verifier();
    await refused(v.verify(signToken(ed25519Key('k2'))), 'unknown_key');
    await refused(v.verify(signToken(key, claims(), { kid: undefined })), 'malformed');
    await refused(v.verify(signToken(key, claims(), { crit: ['exp'] })), 'malformed');
  });

  it('ignores keys embedded in the header (jwk)', async () => {
    const { v } = verifier();
    const attacker = ed25519Key('k1');
    await refused(v.verify(signToken(attacker, claims(), { jwk: attacker.jwk })), 'bad_signature');
  });

  it('refuses claims of the wrong type', async () => {
    const { v } = verifier();
    for (const bad of [
      { sub: 42 },
      { client_id: undefined },
      { jti: undefined },
      { iat: '1' },
      { iat: undefined },
      { exp: '9999999999' },
      { nbf: null },
      { scope: ['sms'] },
      { aud: [1] },
      { aud: undefined },
    ]) {
      await refused(v.verify(signToken(key, claims(bad))), 'malformed');
    }
  });

  it('refuses malformed strings without echoing them', async () => {
    const { v } = verifier();
    const good = signToken(key);
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases = [
      '',
      'abc',
      `${h}.${p}`,
      `${good}.x`,
      `${h}..${s}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s.slice(0, -1)}+`,
      `${h}.${p}.${s.slice(0, -1)}`, // length % 4 === 1
      `${b64url('not json')}.${p}.${s}`,
      `${b64url('[1,2]')}.${p}.${s}`,
      `${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url')}.${p}.${s}`, // invalid UTF-8
      ` ${good}`,
      `${h}.${p}.${s}${'A'.repeat(9000)}`,
    ];
    for (const token of cases) {
      const err = await refused(v.verify(token), 'malformed');
      assert.equal(err.message, 'The access token is malformed');
      assert.ok(!JSON.stringify(err.toEnvelope()).includes(token.slice(0, 20)) || token.length < 4);
    }
  });

  it('refuses non-string tokens from JavaScript callers', async () => {
    const { v } = verifier();
    for (const token of [undefined, null, 42, {}, ['a.b.c']]) {
      await refused(v.verify(token as unknown as string), 'malformed');
    }
  });

  it('refuses a payload that is not JSON even with a valid signature', async () => {
    const { v } = verifier();
    const input = `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })}.${b64url('{"sub":')}`;
    const token = `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
    await refused(v.verify(token), 'malformed');
  });

  it('refuses tokens over maxTokenLength', async () => {
    const { v } = verifier({ maxTokenLength: 100 });
    await refused(v.verify(signToken(key)), 'malformed');
  });
});

describe('verify: cache', () => {
  it('caches a token from its second verification on: the same frozen result, the right claims', async () => {
    const { v } = verifier();
    const token = signToken(key, claims({ jti: 'repeat' }));
    const first = await v.verify(token);
    const second = await v.verify(token);
    const third = await v.verify(token);
    assert.notEqual(second, first, 'a token seen once is verified again (admission on second sighting)');
    assert.deepEqual(second, first);
    assert.equal(third, second, 'then it is served from the cache');
    assert.ok(Object.isFrozen(third));
    assert.equal(third.jti, 'repeat');
    const other = await v.verify(signToken(key, claims({ jti: 'other' })));
    assert.equal(other.jti, 'other');
  });

  it('refuses a cached token once the clock passes exp', async () => {
    const { v, clock } = verifier({ leewaySeconds: 0 });
    const token = signToken(key, claims());
    await v.verify(token);
    clock.advance(86_400_000 - 1000);
    await v.verify(token);
    clock.advance(1000);
    await refused(v.verify(token), 'expired');
  });

  it('never caches a refusal: a forged twin of a cached token is still refused', async () => {
    const { v } = verifier();
    const token = signToken(key);
    await v.verify(token);
    const [h, p] = token.split('.');
    await refused(v.verify(`${h}.${p}.${signToken(otherKey).split('.')[2]}`), 'bad_signature');
  });

  it('evicts the oldest entry beyond cacheSize and keeps working', async () => {
    const { v } = verifier({ cacheSize: 2 });
    const tokens = ['a', 'b', 'c'].map((jti) => signToken(key, claims({ jti })));
    for (const token of tokens) await v.verify(token); // seen once: not cached yet
    const first = await v.verify(tokens[0] as string); // cached
    assert.equal(await v.verify(tokens[0] as string), first);
    await v.verify(tokens[1] as string);
    await v.verify(tokens[2] as string); // cache full: evicts tokens[0]
    const again = await v.verify(tokens[0] as string);
    assert.notEqual(again, first, 'evicted entry is verified afresh');
    assert.deepEqual(again, first);
  });

  it('clearCache() forgets results', async () => {
    const { v } = verifier();
    const token = signToken(key);
    await v.verify(token);
    const first = await v.verify(token);
    assert.equal(await v.verify(token), first);
    v.clearCache();
    assert.notEqual(await v.verify(token), first);
  });
});

describe('TokenVerificationError', () => {
  it('has the invalid_token envelope and RFC 6750 challenge', async () => {
    const { v } = verifier();
    const err = await refused(v.verify('nope'), 'malformed');
    assert.equal(err.name, 'TokenVerificationError');
    assert.deepEqual(err.toEnvelope(), {
      error: {
        type: 'invalid_token',
        code: 1601,
        message: 'The access token is malformed',
        uri: 'https://docs.sms.cx/#invalid_token',
      },
    });
    assert.equal(
      err.wwwAuthenticate,
      'Bearer realm="smscx", error="invalid_token", error_description="The access token is malformed"',
    );
    assert.equal(new TokenVerificationError('missing').wwwAuthenticate, 'Bearer realm="smscx"');
    assert.equal(new TokenVerificationError('keys_unavailable').headers()['retry-after'], '1');
  });

  it('rejects bad options', () => {
    assert.throws(() => createVerifier({ issuer: '' }), TypeError);
    assert.throws(
      () => createVerifier({ issuer: ISSUER, keys: jwksOf(key), jwksUrl: 'http://127.0.0.1/jwks' }),
      TypeError,
    );
    assert.throws(() => createVerifier({ issuer: ISSUER, keys: { keys: 'x' } as never }), TypeError);
    assert.throws(() => createVerifier({ issuer: ISSUER, keys: jwksOf(key), leewaySeconds: -1 }), TypeError);
    assert.throws(() => createVerifier({ issuer: ISSUER, jwksUrl: 'not a url' }), TypeError);
    assert.throws(() => createVerifier({ issuer: ISSUER, keys: { keys: [] } }), TypeError);
    assert.throws(
      () => createVerifier({ issuer: ISSUER, keys: jwksOf(key), algorithms: ['ES256'] }),
      /no verification key/,
    );
  });
});
