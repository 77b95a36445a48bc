// Interop: tokens issued by this package's own token server verify with the verifier, through the
// JWKS the server publishes. Uses only the server package's public exports.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  createApplication,
  loadOrCreatePepper,
  openSqliteStorage,
  type RunningServer,
  resolveConfig,
  startServer,
} from '../src/index.js';
import { createVerifier, TokenVerificationError } from '../src/verify/index.js';

const silent = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});

interface Credentials {
  id: string;
  secret: string;
}

async function issue(url: string, app: Credentials, scope?: string): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body:
      scope === undefined ? 'grant_type=client_credentials' : `grant_type=client_credentials&scope=${scope}`,
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(typeof body.access_token, 'string');
  return body.access_token as string;
}

describe('verify: interop with the token server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-verify-interop-'));
  let server: RunningServer;
  let daily: Credentials;
  let forever: Credentials;

  before(async () => {
    const config = resolveConfig(
      { host: '127.0.0.1', port: '0', db: join(dir, 'oauth.db'), logLevel: 'silent' },
      {},
    );
    const storage = openSqliteStorage(config.dbPath);
    const pepper = loadOrCreatePepper(config.pepperFile);
    const make = async (tokenExpiration: '1d' | 'never'): Promise<Credentials> => {
      const created = await createApplication(storage, pepper, {
        name: `interop-${tokenExpiration}`,
        scopes: ['sms', 'groups', 'templates'],
        tokenExpiration,
      });
      return { id: created.application.id, secret: created.secret };
    };
    daily = await make('1d');
    forever = await make('never');
    await storage.close();
    server = await startServer(config, { out: silent });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a token from POST /oauth/token verifies against the published JWKS', async () => {
    const verifier = createVerifier({ issuer: server.url, audience: 'https://api.sms.cx' });
    const token = await issue(server.url, daily, 'sms%20groups');
    const verified = await verifier.verify(token, { scopes: ['sms'] });
    assert.equal(verified.sub, daily.id);
    assert.equal(verified.client_id, daily.id);
    assert.deepEqual([...verified.scopes].sort(), ['groups', 'sms']);
    assert.equal(verified.iss, server.url);
    assert.equal(typeof verified.exp, 'number');
    assert.equal((verified.exp as number) - verified.iat, 86_400);
    await assert.rejects(verifier.verify(token, { scopes: ['templates'] }), (err: unknown) => {
      assert.ok(err instanceof TokenVerificationError);
      assert.equal(err.status, 403);
      return true;
    });
  });

  it('a never-expiring token has no exp and verifies', async () => {
    const verifier = createVerifier({ issuer: server.url, audience: 'https://api.sms.cx' });
    const verified = await verifier.verify(await issue(server.url, forever));
    assert.equal(verified.client_id, forever.id);
    assert.equal(verified.exp, undefined);
  });

  it('a verifier expecting another issuer refuses the token', async () => {
    const verifier = createVerifier({
      issuer: 'https://elsewhere.example',
      jwksUrl: `${server.url}/.well-known/jwks.json`,
    });
    await assert.rejects(verifier.verify(await issue(server.url, daily)), (err: unknown) => {
      assert.ok(err instanceof TokenVerificationError);
      assert.equal(err.reason, 'wrong_issuer');
      return true;
    });
  });
});
