import { createHmac, generateKeyPairSync, type JsonWebKey, type KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ISSUER = 'https://auth.test.sms.cx';
export const AUDIENCE = 'https://api.sms.cx';
export const APP_ID = 'a'.repeat(40);
/** 2026-01-01T00:00:00Z, the tests' "now". */
export const T0 = Date.UTC(2026, 0, 1);

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey;
}

export function ed25519Key(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

export function jwksOf(...keys: TestKey[]): { keys: JsonWebKey[] } {
  return { keys: keys.map((k) => k.jwk) };
}

/** A mutable clock in epoch ms. */
export function testClock(start = T0): {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
} {
  let current = start;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
    advance(ms) {
      current += ms;
    },
  };
}

export function claims(overrides: Record<string, unknown> = {}, nowMs = T0): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: ISSUER,
    sub: APP_ID,
    aud: AUDIENCE,
    client_id: APP_ID,
    scope: 'sms groups',
    iat,
    exp: iat + 86_400,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    ...overrides,
  };
}

/** Signs like the token server: EdDSA, typ at+jwt, the key's kid. Header fields can be overridden or removed (undefined). */
export function signToken(
  key: TestKey,
  payload: Record<string, unknown> = claims(),
  header: Record<string, unknown> = {},
): string {
  const h = { alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...header };
  const input = `${b64url(h)}.${b64url(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** An HS256 token whose HMAC secret is `secret` (key-confusion attempt). */
export function signHs256(secret: Buffer | string, payload: Record<string, unknown>, kid: string): string {
  const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export interface TestServer {
  url: string;
  /** Requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface JwksServer extends TestServer {
  /** Serve this JWKS from now on. */
  setKeys(jwks: unknown): void;
  /** Answer with this status instead (0 restores normal service). */
  setStatus(status: number): void;
}

/** Serves a JWKS on loopback (port 0) and counts requests. */
export async function startJwksServer(initial: unknown): Promise<JwksServer> {
  let jwks = initial;
  let status = 0;
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    if (status !== 0) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  const base = await listen(server);
  return {
    url: `${base}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setKeys(next) {
      jwks = next;
    },
    setStatus(next) {
      status = next;
    },
    close: closer(server),
  };
}

export interface IntrospectionServer extends TestServer {
  /** The JSON answer (or an HTTP status number to fail with). */
  setAnswer(answer: unknown): void;
  readonly lastAuthorization: string | undefined;
  readonly lastContentType: string | undefined;
  readonly lastBody: string | undefined;
}

/** An RFC 7662 introspection endpoint on loopback answering a settable JSON body. */
export async function startIntrospectionServer(initial: unknown): Promise<IntrospectionServer> {
  let answer = initial;
  let requests = 0;
  let lastAuthorization: string | undefined;
  let lastContentType: string | undefined;
  let lastBody: string | undefined;
  const server = createServer(async (req, res) => {
    requests++;
    lastAuthorization = req.headers.authorization;
    lastContentType = req.headers['content-type'];
    lastBody = await readBody(req);
    if (typeof answer === 'number') {
      res.writeHead(answer).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  const base = await listen(server);
  return {
    url: `${base}/oauth/introspect`,
    get requests() {
      return requests;
    },
    get lastAuthorization() {
      return lastAuthorization;
    },
    get lastContentType() {
      return lastContentType;
    },
    get lastBody() {
      return lastBody;
    },
    setAnswer(next) {
      answer = next;
    },
    close: closer(server),
  };
}
