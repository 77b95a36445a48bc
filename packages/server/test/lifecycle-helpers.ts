// Helpers shared by the token-lifecycle tests (revoke, introspect, metadata, the protected
// /applications/scopes, admin changes while running, the SDK round trip). They build on
// helpers.ts and fixture.ts: requests go to a `Target` (an in-process server answering through
// `app.inject`, or a base URL over loopback), and `anotherProcess` builds a second app on the
// same SQLite file, as a second server process on the same database would be.
import assert from 'node:assert/strict';
import { createHmac, sign } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadSigningKey, publicKeyFromJwk } from '../src/keys/key-material.js';
import { createLogger } from '../src/logger.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../src/storage/types.js';
import { type InProcessServer, injectRequest } from './fixture.js';
import {
  basic,
  decodeJwt,
  FORM,
  type RawResponse,
  requestToken,
  type SendOptions,
  send,
  type Target,
  type TestApplication,
} from './helpers.js';
import type { TestKey } from './verify-helpers.js';

/** A second app on the database of an in-process server (see {@link anotherProcess}). */
export interface OtherProcess {
  readonly app: FastifyInstance;
  readonly storage: Storage;
  /** Sends one request through `app.inject`, from 127.0.0.1. */
  send(options: SendOptions): Promise<RawResponse>;
  /** Closes the app and its database connection (the file stays: it is the server's). */
  close(): Promise<void>;
}

/**
 * Builds another app on `server`'s SQLite file, through its own connection, with the same pepper
 * and clock: what a second server process on the same database holds. It follows the change log
 * on its own only every `changePollIntervalMs` (default: once an hour, so a test sees only what
 * it does without polling; `app.applyChanges()` is the poll).
 */
export async function anotherProcess(
  server: Pick<InProcessServer, 'db' | 'pepper' | 'clock'>,
  options: { readonly issuer?: string; readonly changePollIntervalMs?: number } = {},
): Promise<OtherProcess> {
  const storage = openSqliteStorage(server.db);
  let app: FastifyInstance;
  try {
    app = await buildApp({
      storage,
      pepper: server.pepper,
      now: server.clock,
      logger: createLogger('silent'),
      changePollIntervalMs: options.changePollIntervalMs ?? 3_600_000,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  return {
    app,
    storage,
    send: (request) => injectRequest(app, request),
    async close() {
      await app.close();
      await storage.close();
    },
  };
}

/** Gets a token for `app` (optionally for `scope`) and returns it; fails the test on non-200. */
export async function issueToken(to: Target, app: TestApplication, scope?: string): Promise<string> {
  const body =
    scope === undefined
      ? 'grant_type=client_credentials'
      : `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`;
  const response = await requestToken(to, app, body);
  assert.equal(response.status, 200, response.body);
  return (response.json as { access_token: string }).access_token;
}

/** A POST of a raw form body to `path` with `app`'s Basic credentials. */
function postForm(
  to: Target,
  path: string,
  app: TestApplication,
  body: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  return send(to, {
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
  to: Target,
  app: TestApplication,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return postForm(to, '/oauth/revoke', app, body, headers);
}

/** Revokes `token` as `app`. */
export function revoke(to: Target, app: TestApplication, token: string): Promise<RawResponse> {
  return revokeRaw(to, app, `token=${encodeURIComponent(token)}`);
}

/** `POST /oauth/introspect` with `app`'s Basic credentials and a raw form body. */
export function introspectRaw(
  to: Target,
  app: TestApplication,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return postForm(to, '/oauth/introspect', app, body, headers);
}

/** Introspects `token` as `app` and returns the JSON answer (asserting a 200). */
export async function introspect(
  to: Target,
  app: TestApplication,
  token: string,
): Promise<Record<string, unknown>> {
  const response = await introspectRaw(
    to,
    app,
    `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
  );
  assert.equal(response.status, 200, response.body);
  return response.json as Record<string, unknown>;
}

/** Whether introspection calls `token` active. */
export async function isActive(to: Target, app: TestApplication, token: string): Promise<boolean> {
  return (await introspect(to, app, token)).active === true;
}

/** `GET /applications/scopes` with `Authorization: Bearer <token>` (or no header for undefined). */
export function getScopes(to: Target, token: string | undefined): Promise<RawResponse> {
  return send(to, {
    method: 'GET',
    path: '/applications/scopes',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/** The current signing key in `storage` (as another process would sign with it), decrypted with `pepper`. */
export async function serverSigningKey(server: {
  readonly storage: Storage;
  readonly pepper: Buffer;
}): Promise<TestKey> {
  const record = (await server.storage.listSigningKeys()).find((key) => key.retiredAt === null);
  assert.ok(record, 'the database holds a current signing key');
  const key = loadSigningKey(server.pepper, record);
  return {
    kid: key.kid,
    privateKey: key.privateKey,
    publicKey: publicKeyFromJwk(key.publicJwk),
    jwk: { ...key.publicJwk },
  };
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
