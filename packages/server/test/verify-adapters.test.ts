import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import {
  type AccessTokenVerifier,
  type BearerRequest,
  createVerifier,
  expressBearerAuth,
  fastifyBearerAuth,
  readBearerToken,
} from '../src/verify/index.js';
import { APP_ID, claims, ed25519Key, ISSUER, jwksOf, signToken } from './verify-helpers.js';

const key = ed25519Key('k1');
const verifier = createVerifier({ issuer: ISSUER, keys: jwksOf(key) });
const nowClaims = () => claims({}, Date.now());
const good = signToken(key, nowClaims());
const smsOnly = signToken(key, claims({ scope: 'sms' }, Date.now()));

/** The behaviour both adapters must show, over real HTTP. */
function adapterSuite(name: string, start: () => Promise<{ base: string; close(): Promise<void> }>) {
  describe(name, () => {
    let base = '';
    let close: () => Promise<void> = async () => {};
    before(async () => {
      ({ base, close } = await start());
    });
    after(() => close());

    it('no Authorization header: 401, bare Bearer challenge, Missing bearer token envelope', async () => {
      const res = await fetch(`${base}/messages`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="smscx"');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await res.json()) as { error: Record<string, unknown> };
      assert.deepEqual(
        { ...body.error, uri: undefined },
        {
          type: 'invalid_token',
          code: 1601,
          message: 'Missing bearer token',
          uri: undefined,
        },
      );
      assert.equal(typeof body.error.uri, 'string');
    });

    it('another scheme counts as no bearer token', async () => {
      const res = await fetch(`${base}/messages`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="smscx"');
      await res.body?.cancel();
    });

    it('a bad token: 401 invalid_token with error and description in the challenge', async () => {
      const res = await fetch(`${base}/messages`, {
        headers: { authorization: `Bearer ${good.slice(0, -4)}AAAA` },
      });
      assert.equal(res.status, 401);
      assert.equal(
        res.headers.get('www-authenticate'),
        'Bearer realm="smscx", error="invalid_token", error_description="The access token signature is invalid"',
      );
      const body = (await res.json()) as { error: { type: string; code: number } };
      assert.equal(body.error.type, 'invalid_token');
      assert.equal(body.error.code, 1601);
    });

    it('a good token: 200 and the handler sees the claims (scheme case-insensitive)', async () => {
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        const res = await fetch(`${base}/messages`, { headers: { authorization: `${scheme} ${good}` } });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { sub: APP_ID, scopes: ['sms', 'groups'] });
      }
    });

    it('a missing scope: 403 insufficient_scope', async () => {
      const res = await fetch(`${base}/groups`, { headers: { authorization: `Bearer ${smsOnly}` } });
      assert.equal(res.status, 403);
      assert.equal(
        res.headers.get('www-authenticate'),
        'Bearer realm="smscx", error="insufficient_scope", error_description="The access token lacks the required scope", scope="groups"',
      );
      const body = (await res.json()) as { error: { type: string; code: number } };
      assert.deepEqual([body.error.type, body.error.code], ['insufficient_scope', 1603]);
      const ok = await fetch(`${base}/groups`, { headers: { authorization: `Bearer ${good}` } });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    });
  });
}

adapterSuite('fastifyBearerAuth over a real Fastify app', async () => {
  const app = Fastify();
  app.get('/messages', { preHandler: fastifyBearerAuth(verifier) }, async (request) => ({
    sub: request.accessToken?.sub,
    scopes: request.accessToken?.scopes,
  }));
  app.get<{ Querystring: { page?: string } }>(
    '/groups',
    { preHandler: fastifyBearerAuth(verifier, { scopes: ['groups'] }) },
    async (request) => ({ sub: request.accessToken?.sub, page: request.query.page ?? null }),
  );
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { base, close: () => app.close() };
});

adapterSuite('expressBearerAuth over a bare node:http server', async () => {
  const auth = expressBearerAuth(verifier);
  const authGroups = expressBearerAuth(verifier, { scopes: ['groups'] });
  const server = createServer((req: IncomingMessage & BearerRequest, res) => {
    const guard = req.url === '/groups' ? authGroups : auth;
    guard(req, res, (err) => {
      if (err) {
        res.statusCode = 500;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sub: req.accessToken?.sub, scopes: req.accessToken?.scopes }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});

describe('fastifyBearerAuth as an app-wide hook', () => {
  it('guards every route and leaves request.accessToken for the handler', async () => {
    const app = Fastify();
    app.addHook('preHandler', fastifyBearerAuth(verifier, { scopes: ['sms'] }));
    app.get('/whoami', async (request) => ({ client_id: request.accessToken?.client_id }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const denied = await fetch(`${base}/whoami`, { headers: { authorization: 'Bearer x.y.z' } });
      assert.equal(denied.status, 401);
      assert.equal(((await denied.json()) as { error: { code: number } }).error.code, 1601);
      const ok = await fetch(`${base}/whoami`, { headers: { authorization: `Bearer ${smsOnly}` } });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { client_id: APP_ID });
    } finally {
      await app.close();
    }
  });
});

describe('adapters: errors that are not token refusals', () => {
  // A verifier whose backend breaks in a way verify() never reports (a bug): the adapters must not
  // turn it into a 401 but hand it to the framework's error path.
  const broken: AccessTokenVerifier = {
    verify: () => Promise.reject(new Error('boom')),
    clearCache() {},
  };

  it('expressBearerAuth passes it to next(err)', async () => {
    const seen = await new Promise<unknown>((resolve) => {
      expressBearerAuth(broken)(
        { headers: { authorization: 'Bearer a.b.c' } },
        { statusCode: 200, setHeader: () => undefined, end: () => resolve('answered') },
        (err) => resolve(err),
      );
    });
    assert.ok(seen instanceof Error);
    assert.equal(seen.message, 'boom');
  });

  it('fastifyBearerAuth lets Fastify answer 500', async () => {
    const app = Fastify();
    app.get('/x', { preHandler: fastifyBearerAuth(broken) }, async () => ({ ok: true }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${base}/x`, { headers: { authorization: 'Bearer a.b.c' } });
      assert.equal(res.status, 500);
      await res.body?.cancel();
    } finally {
      await app.close();
    }
  });
});

describe('readBearerToken', () => {
  it('reads the token after a case-insensitive Bearer scheme and nothing else', () => {
    assert.equal(readBearerToken('Bearer abc'), 'abc');
    assert.equal(readBearerToken('bEaReR abc '), 'abc');
    assert.equal(readBearerToken('Bearer '), '');
    assert.equal(readBearerToken('Bearer'), undefined);
    assert.equal(readBearerToken('Bearerabc'), undefined);
    assert.equal(readBearerToken('Basic abc'), undefined);
    assert.equal(readBearerToken(undefined), undefined);
  });
});
