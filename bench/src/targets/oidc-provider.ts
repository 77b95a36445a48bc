// Target "oidc-provider": panva's node-oidc-provider 9 (Koa), the reference OAuth/OIDC server for Node,
// configured for the same job: one client_credentials client authenticating with client_secret_basic,
// JWT access tokens (`accessTokenFormat: 'jwt'`) signed EdDSA with an Ed25519 key, in-memory adapter.
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  announceReady,
  BENCH_DIR,
  isMain,
  type RunningTarget,
  type StartOptions,
  spawnTsTarget,
} from './common.js';
import { AUDIENCE, generateSigningKey, randomCredential, SCOPES, TOKEN_TTL_S } from './jwt.js';

export const OIDC_PROVIDER_FILE = join(BENCH_DIR, 'src', 'targets', 'oidc-provider.ts');

/** Starts oidc-provider as a child process (pinned with taskset when possible). */
export function startOidcProvider(opts: StartOptions): Promise<RunningTarget> {
  return spawnTsTarget('oidc-provider', OIDC_PROVIDER_FILE, opts);
}

async function serve(): Promise<void> {
  const { default: Provider } = await import('oidc-provider');
  const key = generateSigningKey();
  const jwk = { ...key.privateKey.export({ format: 'jwk' }), kid: key.kid, alg: key.alg, use: 'sig' };
  const credential = randomCredential();
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const provider = new Provider(`http://127.0.0.1:${address.port}`, {
    clients: [
      {
        client_id: credential.id,
        client_secret: credential.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'EdDSA',
        scope: SCOPES,
      },
    ],
    jwks: { keys: [jwk] },
    routes: { token: '/oauth/token' },
    scopes: SCOPES.split(' '),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPES,
          audience: AUDIENCE,
          accessTokenTTL: TOKEN_TTL_S,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'EdDSA' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  announceReady(address.port, [credential]);
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

if (isMain(import.meta.url)) await serve();
