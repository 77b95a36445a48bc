// Helpers shared by the token-lifecycle tests (revoke, introspect, metadata, the protected
// /applications/scopes, admin changes while running, the SDK round trip). They build on
// helpers.ts: the real binary, a real SQLite file, raw HTTP over loopback.
import assert from 'node:assert/strict';
import { createHmac, sign } from 'node:crypto';
import { dirname, join } from 'node:path';
import { loadOrCreatePepper } from '../src/domain/secrets.js';
import { loadSigningKey, publicKeyFromJwk } from '../src/keys/key-material.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import {
  basic,
  decodeJwt,
  FORM,
  type RawResponse,
  requestToken,
  send,
  type TestApplication,
} from './helpers.js';
import type { TestKey } from './verify-helpers.js';

/** Gets a token for `app` (optionally for `scope`) and returns it; fails the test on non-200. */
export async function issueToken(url: string, app: TestApplication, scope?: string): Promise<string> {
  const body =
    scope === undefined
      ? 'grant_type=client_credentials'
      : `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`;
  const response = await requestToken(url, app, body);
  assert.equal(response.status, 200, response.body);
  return (response.json as { access_token: string }).access_token;
}

/** A POST of a raw form body to `path` with `app`'s Basic credentials. */
function postForm(
  url: string,
  path: string,
  app: TestApplication,
  body: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  return send(url, {
    path,
    headers: {
      authorization: basic(app.application_id, app.application_secret),
      'content-type': FORM,
      ...headers,
    },
    body,
  });
}

/** `POST /oauth/revoke` with `app`'s Basic credentials and a raw form body. */
export function revokeRaw(
  url: string,
  app: TestApplication,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return postForm(url, '/oauth/revoke', app, body, headers);
}

/** Revokes `token` as `app`. */
export function revoke(url: string, app: TestApplication, token: string): Promise<RawResponse> {
  return revokeRaw(url, app, `token=${encodeURIComponent(token)}`);
}

/** `POST /oauth/introspect` with `app`'s Basic credentials and a raw form body. */
export function introspectRaw(
  url: string,
  app: TestApplication,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return postForm(url, '/oauth/introspect', app, body, headers);
}

/** Introspects `token` as `app` and returns the JSON answer (asserting a 200). */
export async function introspect(
  url: string,
  app: TestApplication,
  token: string,
): Promise<Record<string, unknown>> {
  const response = await introspectRaw(
    url,
    app,
    `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
  );
  assert.equal(response.status, 200, response.body);
  return response.json as Record<string, unknown>;
}

/** Whether introspection calls `token` active. */
export async function isActive(url: string, app: TestApplication, token: string): Promise<boolean> {
  return (await introspect(url, app, token)).active === true;
}

/** `GET /applications/scopes` with `Authorization: Bearer <token>` (or no header for undefined). */
export function getScopes(url: string, token: string | undefined): Promise<RawResponse> {
  return send(url, {
    method: 'GET',
    path: '/applications/scopes',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/** The server's current signing key, read from the database and pepper file it uses. */
export async function serverSigningKey(db: string): Promise<TestKey> {
  const storage = openSqliteStorage(db);
  try {
    const record = (await storage.listSigningKeys()).find((key) => key.retiredAt === null);
    assert.ok(record, 'the database holds a current signing key');
    const key = loadSigningKey(loadOrCreatePepper(join(dirname(db), 'pepper')), record);
    return {
      kid: key.kid,
      privateKey: key.privateKey,
      publicKey: publicKeyFromJwk(key.publicJwk),
      jwk: { ...key.publicJwk },
    };
  } finally {
    await storage.close();
  }
}

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs `payload` with `key` exactly as the server does (EdDSA, at+jwt), header overridable. */
export function signWith(
  key: TestKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64url({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...header })}.${b64url(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** An HS256 token whose HMAC key is `secret` (the key-confusion attack). */
export function signHs256(secret: Buffer | string, payload: Record<string, unknown>, kid: string): string {
  const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned `alg: none` token (empty signature segment, as RFC 7519 §6 writes it). */
export function unsigned(payload: Record<string, unknown>, kid: string): string {
  return `${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url(payload)}.`;
}

/** Replaces the payload of `token` and keeps its header and signature. */
export function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(payload)}.${signature}`;
}

/** The claims of a real token, for forging variants of it. */
export function claimsOf(token: string): Record<string, unknown> {
  return decodeJwt(token).payload;
}

/** Asserts the answer of a protected endpoint for an unusable bearer token: 401 invalid_token per RFC 6750. */
export function assertInvalidToken(response: RawResponse, message?: string): void {
  assert.equal(response.status, 401, `${message ?? ''} ${response.body}`);
  const challenge = response.headers['www-authenticate'];
  assert.equal(typeof challenge, 'string');
  assert.match(
    challenge as string,
    /^Bearer realm="smscx", error="invalid_token", error_description="[^"]+"$/,
  );
  assert.equal(response.headers['cache-control'], 'no-store');
  const error = (response.json as { error: Record<string, unknown> }).error;
  assert.equal(error.type, 'invalid_token');
  assert.equal(error.code, 1601);
  assert.equal(error.uri, 'https://docs.sms.cx/#invalid_token');
  assert.deepEqual(Object.keys(response.json as object), ['error']);
}
