// The verifier library and each JWS algorithm the token server signs with (EdDSA, ES256, RS256,
// and RFC 9864's Ed25519): the default allow-list, tokens made by `jose` (a test-only dependency,
// an independent JOSE implementation), the algorithm-confusion attacks, the cache and admission
// filter for each algorithm, and a remote JWKS rotated from one algorithm to another.
import assert from 'node:assert/strict';
import {
  constants,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from 'node:crypto';
import { after, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  createVerifier,
  DEFAULT_ALGORITHMS,
  SUPPORTED_ALGORITHMS,
  type TokenErrorReason,
  TokenVerificationError,
  type VerifierOptions,
} from '../src/verify/index.js';
import {
  APP_ID,
  AUDIENCE,
  b64url,
  claims,
  ISSUER,
  type JwksServer,
  startJwksServer,
  T0,
} from './verify-helpers.js';

type Alg = (typeof SUPPORTED_ALGORITHMS)[number];

interface AlgKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: JsonWebKey;
}

/** A key pair of the type `alg` needs; its JWK declares `declared` (default `alg`; null: no `alg`). */
function keyFor(alg: Alg, kid: string, declared: string | null = alg): AlgKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg === 'EdDSA' || alg === 'Ed25519') pair = generateKeyPairSync('ed25519');
  else if (alg.startsWith('ES')) {
    const curve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256'];
    pair = generateKeyPairSync('ec', { namedCurve: curve });
  } else pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk: JsonWebKey = { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig' };
  if (declared !== null) jwk.alg = declared;
  return { kid, ...pair, jwk };
}

const attackers = new Map<Alg, AlgKey>();

/** The attacker's own key for `alg` (one per algorithm: RSA keys are slow to make). */
function attackerKey(alg: Alg): AlgKey {
  let key = attackers.get(alg);
  if (key === undefined) {
    key = keyFor(alg, 'attacker');
    attackers.set(alg, key);
  }
  return key;
}

/** A compact JWS of `payload` signed with `privateKey` as `signAlg` says, under `header`. */
function signAs(
  signAlg: Alg,
  privateKey: KeyObject,
  header: Record<string, unknown>,
  payload: Record<string, unknown> = claims(),
): string {
  const input = Buffer.from(`${b64url({ typ: 'at+jwt', ...header })}.${b64url(payload)}`);
  const hash = signAlg === 'EdDSA' || signAlg === 'Ed25519' ? null : `sha${signAlg.slice(2)}`;
  let signature: Buffer;
  if (signAlg.startsWith('ES')) signature = sign(hash, input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  else if (signAlg.startsWith('PS'))
    signature = sign(hash, input, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  else signature = sign(hash, input, privateKey);
  return `${input.toString()}.${signature.toString('base64url')}`;
}

/** A token of `key` signed honestly with `alg` (default: the alg its JWK declares). */
function tokenOf(key: AlgKey, alg: Alg = key.jwk.alg as Alg, payload = claims()): string {
  return signAs(alg, key.privateKey, { alg, kid: key.kid }, payload);
}

function verifierWith(keys: AlgKey[], overrides: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { keys: keys.map((key) => key.jwk) },
    now: () => T0,
    ...overrides,
  });
}

async function refused(promise: Promise<unknown>, reason: TokenErrorReason, label = ''): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(
      err instanceof TokenVerificationError,
      `${label}: not a TokenVerificationError: ${String(err)}`,
    );
    assert.equal(err.reason, reason, label);
    assert.equal(err.status, 401, label);
    return true;
  });
}

const SERVER_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;

describe('verify: algorithms', () => {
  const ed = keyFor('EdDSA', 'ed');
  const ed9864 = keyFor('Ed25519', 'ed-9864');
  const ec = keyFor('ES256', 'ec');
  const rsa = keyFor('RS256', 'rsa');

  it('accepts EdDSA, Ed25519, ES256 and RS256 by default, each with its own key', async () => {
    assert.deepEqual([...DEFAULT_ALGORITHMS], ['EdDSA', 'Ed25519', 'ES256', 'RS256']);
    const v = verifierWith([ed, ed9864, ec, rsa]);
    for (const key of [ed, ed9864, ec, rsa]) {
      const verified = await v.verify(tokenOf(key), { scopes: ['sms'] });
      assert.equal(verified.sub, APP_ID, key.kid);
    }
  });

  it('the default refuses the other asymmetric algorithms; an explicit list accepts them', async () => {
    const ec384 = keyFor('ES384', 'ec384');
    const ps = keyFor('PS256', 'ps');
    assert.throws(
      () => verifierWith([ec384]),
      /no verification key usable with EdDSA, Ed25519, ES256, RS256/,
    );
    const byDefault = verifierWith([ec, ec384, ps]);
    await refused(byDefault.verify(tokenOf(ec384)), 'alg_not_allowed', 'ES384');
    await refused(byDefault.verify(tokenOf(ps)), 'alg_not_allowed', 'PS256');
    const wider = verifierWith([ec, ec384, ps], { algorithms: [...DEFAULT_ALGORITHMS, 'ES384', 'PS256'] });
    assert.equal((await wider.verify(tokenOf(ec384))).sub, APP_ID);
    assert.equal((await wider.verify(tokenOf(ps))).sub, APP_ID);
    // A narrower list refuses the rest before any key is looked at.
    const esOnly = verifierWith([ed, ec, rsa], { algorithms: ['ES256'] });
    assert.equal((await esOnly.verify(tokenOf(ec))).sub, APP_ID);
    await refused(esOnly.verify(tokenOf(ed)), 'alg_not_allowed', 'EdDSA');
    await refused(esOnly.verify(tokenOf(rsa)), 'alg_not_allowed', 'RS256');
  });

  describe('tokens made by jose (SignJWT) are accepted, through a fetched JWKS', () => {
    let jwks: JwksServer;
    after(async () => jwks?.close());

    it('EdDSA, Ed25519, ES256 and RS256', async () => {
      const algs = ['EdDSA', 'Ed25519', 'ES256', 'RS256'] as const;
      const pairs = await Promise.all(algs.map((alg) => generateKeyPair(alg, { extractable: true })));
      const keys = await Promise.all(
        pairs.map(async ({ publicKey }, i) => {
          const jwk = await exportJWK(publicKey);
          return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: algs[i], use: 'sig' };
        }),
      );
      jwks = await startJwksServer({ keys });
      const v = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.url, now: () => T0 });
      for (const [i, alg] of algs.entries()) {
        const token = await new SignJWT(claims({ scope: 'sms' }))
          .setProtectedHeader({ alg, typ: 'at+jwt', kid: keys[i]!.kid })
          .sign(pairs[i]!.privateKey);
        const verified = await v.verify(token, { scopes: ['sms'] });
        assert.equal(verified.client_id, APP_ID, alg);
        // Signed by jose with another key of the same type but this kid: refused.
        const other = await generateKeyPair(alg);
        const forged = await new SignJWT(claims())
          .setProtectedHeader({ alg, typ: 'at+jwt', kid: keys[i]!.kid })
          .sign(other.privateKey);
        await refused(v.verify(forged), 'bad_signature', alg);
      }
      assert.equal(jwks.requests, 1, 'one fetch for all four keys');
    });
  });

  describe('algorithm confusion is refused', () => {
    // The widest allow-list: the key binding alone must refuse every mismatch.
    const all = [...SUPPORTED_ALGORITHMS];
    const keys = [ed, ec, rsa];
    const v = verifierWith(keys, { algorithms: all, cacheSize: 0 });

    it('HS256/384/512 with the public key (PEM, DER, JWK JSON, raw members) as the HMAC secret', async () => {
      for (const key of keys) {
        const secrets: (string | Buffer)[] = [
          key.publicKey.export({ format: 'pem', type: 'spki' }),
          key.publicKey.export({ format: 'der', type: 'spki' }),
          JSON.stringify(key.jwk),
          JSON.stringify({ ...key.publicKey.export({ format: 'jwk' }) }),
          Buffer.from((key.jwk.x ?? key.jwk.n) as string, 'base64url'),
        ];
        for (const hs of ['HS256', 'HS384', 'HS512']) {
          for (const secret of secrets) {
            const input = `${b64url({ alg: hs, typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}`;
            const mac = createHmac(`sha${hs.slice(2)}`, secret)
              .update(input)
              .digest('base64url');
            await refused(v.verify(`${input}.${mac}`), 'alg_not_allowed', `${hs} on ${key.kid}`);
          }
        }
      }
    });

    it('alg none, with or without a signature', async () => {
      for (const key of keys) {
        for (const alg of ['none', 'None', 'NONE']) {
          const input = `${b64url({ alg, typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}`;
          await refused(v.verify(`${input}.`), 'malformed', `${alg} unsigned`);
          await refused(v.verify(`${input}.AAAA`), 'alg_not_allowed', `${alg} with a signature`);
        }
      }
    });

    it('an alg of another key type, signed by the attacker with a key of that type', async () => {
      for (const key of keys) {
        for (const alg of all) {
          if (alg === key.jwk.alg) continue;
          const attacker = attackerKey(alg);
          const token = signAs(alg, attacker.privateKey, { alg, kid: key.kid });
          await refused(v.verify(token), 'unknown_key', `${alg} header on the ${key.kid} key`);
        }
      }
    });

    it('an alg the key could compute but does not declare (RS384/RS512/PS256 on an RS256 key, Ed25519 on an EdDSA key)', async () => {
      for (const alg of ['RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const) {
        await refused(v.verify(signAs(alg, rsa.privateKey, { alg, kid: rsa.kid })), 'unknown_key', alg);
      }
      await refused(
        v.verify(signAs('Ed25519', ed.privateKey, { alg: 'Ed25519', kid: ed.kid })),
        'unknown_key',
      );
      const only9864 = verifierWith([ed9864]);
      await refused(
        only9864.verify(signAs('EdDSA', ed9864.privateKey, { alg: 'EdDSA', kid: ed9864.kid })),
        'unknown_key',
        'EdDSA on an Ed25519-declared key',
      );
      assert.equal((await only9864.verify(tokenOf(ed9864))).sub, APP_ID);
    });

    it("a real token with its header's alg swapped keeps failing", async () => {
      for (const key of keys) {
        const genuine = tokenOf(key);
        const [, payload, signature] = genuine.split('.');
        for (const alg of all) {
          if (alg === key.jwk.alg) continue;
          const swapped = `${b64url({ alg, typ: 'at+jwt', kid: key.kid })}.${payload}.${signature}`;
          await refused(v.verify(swapped), 'unknown_key', `${key.kid} as ${alg}`);
        }
        assert.equal((await v.verify(genuine)).sub, APP_ID);
      }
    });

    it('a key without a declared alg verifies only the algorithms of its type', async () => {
      const bareEd = keyFor('EdDSA', 'bare-ed', null);
      const bareEc = keyFor('ES256', 'bare-ec', null);
      const bareRsa = keyFor('RS256', 'bare-rsa', null);
      const bare = verifierWith([bareEd, bareEc, bareRsa], { algorithms: all });
      const accepted: [AlgKey, Alg][] = [
        [bareEd, 'EdDSA'],
        [bareEd, 'Ed25519'],
        [bareEc, 'ES256'],
        [bareRsa, 'RS256'],
        [bareRsa, 'RS512'],
        [bareRsa, 'PS256'],
      ];
      for (const [key, alg] of accepted) assert.equal((await bare.verify(tokenOf(key, alg))).sub, APP_ID);
      for (const [key, alg] of [
        [bareEd, 'ES256'],
        [bareEc, 'ES384'],
        [bareEc, 'EdDSA'],
        [bareEc, 'RS256'],
        [bareRsa, 'ES256'],
        [bareRsa, 'EdDSA'],
      ] as [AlgKey, Alg][]) {
        const attacker = attackerKey(alg);
        await refused(
          bare.verify(signAs(alg, attacker.privateKey, { alg, kid: key.kid })),
          'unknown_key',
          `${alg} on ${key.kid}`,
        );
      }
    });

    it('a JWK whose declared alg does not fit its key is never used', async () => {
      const misdeclared = [
        { ...ec.jwk, kid: 'ec-as-rs', alg: 'RS256' },
        { ...rsa.jwk, kid: 'rsa-as-es', alg: 'ES256' },
        { ...ed.jwk, kid: 'ed-as-es', alg: 'ES256' },
        { ...rsa.jwk, kid: 'rsa-as-eddsa', alg: 'EdDSA' },
        { ...keyFor('ES384', 'p384').jwk, kid: 'p384-as-es256', alg: 'ES256' },
      ];
      assert.throws(
        () => createVerifier({ issuer: ISSUER, keys: { keys: misdeclared }, algorithms: all }),
        /no verification key/,
      );
      const mixed = createVerifier({
        issuer: ISSUER,
        keys: { keys: [ed.jwk, ...misdeclared] },
        algorithms: all,
        now: () => T0,
      });
      await refused(
        mixed.verify(signAs('ES256', ec.privateKey, { alg: 'ES256', kid: 'ec-as-rs' })),
        'unknown_key',
      );
      await refused(
        mixed.verify(signAs('RS256', ec.privateKey, { alg: 'RS256', kid: 'ec-as-rs' })),
        'unknown_key',
      );
      await refused(
        mixed.verify(signAs('RS256', rsa.privateKey, { alg: 'RS256', kid: 'rsa-as-es' })),
        'unknown_key',
      );
      await refused(
        mixed.verify(signAs('EdDSA', ed.privateKey, { alg: 'EdDSA', kid: 'ed-as-es' })),
        'unknown_key',
      );
    });

    it('ES256 signatures must be raw r||s (64 bytes), not DER', async () => {
      const input = Buffer.from(
        `${b64url({ alg: 'ES256', typ: 'at+jwt', kid: ec.kid })}.${b64url(claims())}`,
      );
      const der = sign('sha256', input, ec.privateKey);
      await refused(v.verify(`${input.toString()}.${der.toString('base64url')}`), 'bad_signature');
    });

    it('a cached token does not vouch for the same signature under another header', async () => {
      const cached = verifierWith(keys, { algorithms: all });
      const genuine = tokenOf(rsa);
      for (let i = 0; i < 3; i++) await cached.verify(genuine);
      const [, payload, signature] = genuine.split('.');
      for (const alg of ['PS256', 'RS384', 'ES256', 'EdDSA']) {
        const swapped = `${b64url({ alg, typ: 'at+jwt', kid: rsa.kid })}.${payload}.${signature}`;
        await refused(cached.verify(swapped), 'unknown_key', alg);
      }
      assert.equal((await cached.verify(genuine)).sub, APP_ID);
    });
  });

  it('the cache and its admission filter work the same for every algorithm', async () => {
    const v = verifierWith([ed, ed9864, ec, rsa]);
    for (const key of [ed, ed9864, ec, rsa]) {
      const token = tokenOf(key);
      const first = await v.verify(token);
      const second = await v.verify(token);
      const third = await v.verify(token);
      assert.notEqual(second, first, `${key.kid}: a token seen once is not cached`);
      assert.deepEqual(second, first);
      assert.equal(third, second, `${key.kid}: from its second verification on, it is`);
    }
  });

  describe('a remote JWKS rotated from one algorithm to another', () => {
    let jwks: JwksServer;
    after(async () => jwks?.close());

    it('keeps old tokens verifiable while the old key is published, then refuses them', async () => {
      jwks = await startJwksServer({ keys: [ed.jwk] });
      const v = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: jwks.url,
        jwksCooldownMs: 0,
        now: () => T0,
      });
      const edToken = tokenOf(ed);
      for (let i = 0; i < 3; i++) assert.equal((await v.verify(edToken)).sub, APP_ID); // cached

      // Rotated to ES256: the new key is published next to the old one.
      jwks.setKeys({ keys: [ec.jwk, ed.jwk] });
      assert.equal((await v.verify(tokenOf(ec))).sub, APP_ID);
      assert.equal((await v.verify(edToken)).sub, APP_ID);

      // Rotated to RS256, and the EdDSA key has left the JWKS.
      jwks.setKeys({ keys: [rsa.jwk, ec.jwk] });
      assert.equal((await v.verify(tokenOf(rsa))).sub, APP_ID);
      assert.equal((await v.verify(tokenOf(ec))).sub, APP_ID);
      await refused(v.verify(edToken), 'unknown_key', 'cached, but its key was withdrawn');
      // One fetch at first, one for each new kid, one more for the withdrawn kid (cooldown 0).
      assert.equal(jwks.requests, 4);
    });
  });

  it('the server algorithms are all in the default', () => {
    for (const alg of SERVER_ALGORITHMS) assert.ok(DEFAULT_ALGORITHMS.includes(alg), alg);
  });
});
