import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { base64Utf8, basicAuthorization, formUrlEncode } from '../src/internal/basic-auth.js';

/** What a server does per RFC 6749 §2.3.1: base64-decode, split at the first ":", form-decode both. */
function serverSideDecode(header: string): [string, string] {
  const raw = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = raw.indexOf(':');
  const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return [formDecode(raw.slice(0, colon)), formDecode(raw.slice(colon + 1))];
}

test('any id and secret (full Unicode) survive the Basic round trip', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (id, secret) => {
      assert.deepEqual(serverSideDecode(basicAuthorization(id, secret)), [id, secret]);
    }),
    { numRuns: 500 },
  );
});

test('form encoding leaves only the unreserved set and encodes space as +', () => {
  assert.equal(formUrlEncode("aZ09-._* !'()~:%+/"), 'aZ09-._*+%21%27%28%29%7E%3A%25%2B%2F');
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (value) => {
      assert.match(formUrlEncode(value), /^[A-Za-z0-9\-._*+%]*$/);
    }),
  );
});

test('base64 of UTF-8 matches Buffer', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (value) => {
      assert.equal(base64Utf8(value), Buffer.from(value, 'utf8').toString('base64'));
    }),
  );
});
