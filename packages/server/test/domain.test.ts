// Pure building blocks: scope resolution, Basic parsing, form parsing, secrets, key retention.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AllowedScopes, ScopeCatalogue } from '../src/domain/scopes.js';
import { PepperedHmac } from '../src/domain/secret-hmac.js';
import { hashSecret, newApplicationSecret, verifySecret } from '../src/domain/secrets.js';
import { parseBasicCredentials } from '../src/http/client-authentication.js';
import { toApiError } from '../src/http/error-handler.js';
import { isFormContentType, parseForm } from '../src/http/form-body.js';
import { ed25519Thumbprint, generateSigningKeyRecord, loadSigningKey } from '../src/keys/key-material.js';
import { isKeyPublished, RETIRED_KEY_RETENTION_MS } from '../src/keys/retention.js';

describe('scopes', () => {
  const catalogue = new ScopeCatalogue();
  const all = new AllowedScopes(catalogue, catalogue.scopes);
  const some = new AllowedScopes(catalogue, ['groups', 'sms']);

  it('grants in canonical order with duplicates collapsed', () => {
    assert.equal(all.grant('templates sms templates'), 'sms templates');
    assert.equal(some.grant(undefined), 'sms groups');
    assert.equal(some.grant('  '), 'sms groups');
  });

  it('refuses unknown, disallowed, malformed and huge scopes', () => {
    for (const bad of ['viber', 'SMS', 'sms\tgroups', 'sm"s', 'é', 'a'.repeat(10_000)]) {
      assert.equal(some.grant(bad), undefined, bad);
    }
  });

  it('rejects a malformed catalogue', () => {
    assert.throws(() => new ScopeCatalogue(['a b']));
    assert.throws(() => new ScopeCatalogue(['a', 'a']));
    assert.throws(() => new ScopeCatalogue([]));
  });
});

describe('Basic credentials (RFC 6749 §2.3.1)', () => {
  const encode = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  it('splits at the first colon and form-decodes both halves', () => {
    assert.deepEqual(parseBasicCredentials(encode('id:se:cret')), { id: 'id', secret: 'se:cret' });
    assert.deepEqual(parseBasicCredentials(encode('a%3Ab:c+d%25')), { id: 'a:b', secret: 'c d%' });
  });
  it('returns undefined for malformed values', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Bearer x',
      'Basic ***',
      'Basic YQ',
      encode('nocolon'),
      encode(':x'),
      encode('%zz:x'),
      encode('x:%E0%A4%A'),
    ]) {
      assert.equal(parseBasicCredentials(header), undefined, String(header));
    }
  });
});

describe('form bodies', () => {
  it('parses, decodes and rejects repeats', () => {
    const parsed = parseForm('grant_type=client_credentials&scope=sms+groups&empty=&&flag');
    assert.ok(parsed instanceof Map);
    assert.equal(parsed.get('scope'), 'sms groups');
    assert.equal(parsed.get('empty'), '');
    assert.equal(parsed.get('flag'), '');
    assert.ok(!(parseForm('a=1&a=2') instanceof Map));
    assert.ok(!(parseForm('a=%zz') instanceof Map));
  });
  it('recognises the form content type only', () => {
    assert.ok(isFormContentType('application/x-www-form-urlencoded;charset=UTF-8'));
    assert.ok(!isFormContentType('application/x-www-form-urlencoded-not'));
    assert.ok(!isFormContentType(undefined));
  });
});

describe('secrets', () => {
  it('verifies only the right secret under the right pepper', () => {
    const pepper = randomBytes(32);
    const secret = newApplicationSecret();
    assert.ok(Buffer.from(secret, 'base64url').length === 32);
    const hash = hashSecret(pepper, secret);
    const hmac = new PepperedHmac(pepper);
    assert.equal(verifySecret(hmac, secret, hash), true);
    assert.equal(verifySecret(hmac, `${secret}x`, hash), false);
    assert.equal(verifySecret(new PepperedHmac(randomBytes(32)), secret, hash), false);
    assert.equal(verifySecret(hmac, secret, undefined), false);
  });

  // PepperedHmac is a JavaScript HMAC-SHA-256: it must give node:crypto's result on every input
  // a Basic header can carry, across block boundaries (55/56/64 bytes) and its buffer growing.
  it('PepperedHmac gives the HMAC-SHA-256 of node:crypto', () => {
    const reference = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
    for (const keyLength of [0, 1, 32, 63, 64]) {
      const key = randomBytes(keyLength);
      const hmac = new PepperedHmac(key);
      for (let length = 0; length <= 300; length++) {
        const ascii = randomBytes(length).toString('base64url').slice(0, length);
        assert.deepEqual(hmac.digest(ascii), reference(key, ascii), `key ${keyLength} B, ${length} chars`);
      }
    }
    const hmac = new PepperedHmac(randomBytes(32));
    const key = randomBytes(32);
    const other = new PepperedHmac(key);
    // First call on a fresh object with 3 UTF-8 bytes per character: the buffer must grow enough.
    assert.deepEqual(other.digest('€'.repeat(300)), reference(key, '€'.repeat(300)));
    const samples = ['', 'é', '€uro', '😀 emoji', 'lone \ud800 surrogate', 'x'.repeat(1024), '\u0000nul'];
    for (let i = 0; i < 500; i++) {
      // Any UTF-16 code unit, lone surrogates included (encoded as U+FFFD by both).
      samples.push(
        String.fromCharCode(...Array.from(randomBytes(1 + (i % 90)), (b) => (b * 257 + i) % 0x10000)),
      );
    }
    for (const text of samples)
      assert.deepEqual(other.digest(text), reference(key, text), JSON.stringify(text));
    // Consecutive results are independent (the output buffer is reused, not accumulated).
    const first = Buffer.from(hmac.digest('a'));
    hmac.digest('b'.repeat(500));
    assert.deepEqual(hmac.digest('a'), first);
  });

  it('PepperedHmac refuses a key longer than one block', () => {
    assert.throws(() => new PepperedHmac(randomBytes(65)), /at most 64 bytes/);
  });
});

describe('signing keys', () => {
  it('encrypts the private key under the pepper', () => {
    const pepper = randomBytes(32);
    const record = generateSigningKeyRecord(pepper);
    assert.equal(loadSigningKey(pepper, record).kid, record.kid);
    assert.throws(() => loadSigningKey(randomBytes(32), record), /wrong pepper/);
    assert.ok(!record.privateKeyEncrypted.includes('PRIVATE'));
  });

  it('names a key by its RFC 7638 thumbprint (RFC 8037 appendix A.3 test vector)', () => {
    assert.equal(
      ed25519Thumbprint('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'),
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
    const record = generateSigningKeyRecord(randomBytes(32));
    const jwk = JSON.parse(record.publicJwk) as { x: string; kid: string };
    assert.equal(jwk.kid, record.kid);
    assert.equal(record.kid, ed25519Thumbprint(jwk.x));
    assert.match(jwk.x, /^[A-Za-z0-9_-]{43}$/);
  });

  it('publishes retired keys for 8 days, or forever when tokens never expire', () => {
    const now = 10 * RETIRED_KEY_RETENTION_MS;
    assert.ok(isKeyPublished(null, now, false));
    assert.ok(isKeyPublished(now - RETIRED_KEY_RETENTION_MS + 1, now, false));
    assert.ok(!isKeyPublished(now - RETIRED_KEY_RETENTION_MS, now, false));
    assert.ok(isKeyPublished(0, now, true));
  });
});

describe('error mapping', () => {
  it('turns unexpected errors into a 500 that reveals nothing', () => {
    const error = toApiError(new Error('SQLITE_BUSY: database is locked at /secret/path'));
    assert.equal(error.status, 500);
    assert.equal(
      error.body,
      '{"error":{"type":"server_error","code":1650,"message":"Internal server error","uri":"https://docs.sms.cx/#server_error"}}',
    );
  });
  it('keeps Fastify client errors as 4xx', () => {
    assert.equal(toApiError(Object.assign(new Error('x'), { statusCode: 413 })).code, 1613);
    assert.equal(toApiError(Object.assign(new Error('x'), { statusCode: 415 })).status, 400);
    assert.equal(toApiError(Object.assign(new Error('x'), { statusCode: 503 })).status, 500);
  });
});
