// Target "oauth2-server": @node-oauth/oauth2-server 5 behind Express 5, with an in-memory model that
// issues the same Ed25519 JWT as the ceiling (model.generateAccessToken signs with node:crypto).
// Tokens are self-contained JWTs, so saveToken keeps nothing, like the ceiling and oidc-provider.
import { join } from 'node:path';
import type { Client, ClientCredentialsModel, Falsey, Token, User } from '@node-oauth/oauth2-server';
import {
  announceReady,
  BENCH_DIR,
  isMain,
  type RunningTarget,
  type StartOptions,
  spawnTsTarget,
} from './common.js';
import { generateSigningKey, randomCredential, SCOPES, signAccessToken, TOKEN_TTL_S } from './jwt.js';

export const OAUTH2_SERVER_FILE = join(BENCH_DIR, 'src', 'targets', 'oauth2-server.ts');

/** Starts @node-oauth/oauth2-server + Express as a child process (pinned with taskset when possible). */
export function startOauth2Server(opts: StartOptions): Promise<RunningTarget> {
  return spawnTsTarget('oauth2-server', OAUTH2_SERVER_FILE, opts);
}

async function serve(): Promise<void> {
  const { default: express } = await import('express');
  const { default: OAuth2Server } = await import('@node-oauth/oauth2-server');
  const key = generateSigningKey();
  const credential = randomCredential();
  const allScopes = SCOPES.split(' ');
  const client: Client = {
    id: credential.id,
    grants: ['client_credentials'],
    accessTokenLifetime: TOKEN_TTL_S,
  };
  const user: User = { id: credential.id };
  const model: ClientCredentialsModel = {
    async getClient(clientId: string, clientSecret: string): Promise<Client | Falsey> {
      return clientId === credential.id && clientSecret === credential.secret ? client : undefined;
    },
    async getUserFromClient(): Promise<User | Falsey> {
      return user;
    },
    async validateScope(_user: User, _client: Client, scope?: string[]): Promise<string[] | Falsey> {
      if (!scope || scope.length === 0) return allScopes;
      return scope.every((s) => allScopes.includes(s)) ? scope : undefined;
    },
    async generateAccessToken(c: Client, _u: User, scope: string[]): Promise<string> {
      return signAccessToken(key, c.id, scope.join(' '));
    },
    async saveToken(token: Token, c: Client, u: User): Promise<Token | Falsey> {
      return { ...token, client: c, user: u };
    },
    async getAccessToken(): Promise<Token | Falsey> {
      return undefined;
    },
  };
  const oauth = new OAuth2Server({ model, accessTokenLifetime: TOKEN_TTL_S });
  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false }));
  app.post('/oauth/token', async (req, res) => {
    const request = new OAuth2Server.Request(req);
    const response = new OAuth2Server.Response(res);
    try {
      await oauth.token(request, response, { requireClientAuthentication: { client_credentials: true } });
      res
        .set(response.headers)
        .status(response.status ?? 200)
        .json(response.body);
    } catch (err) {
      const e = err as { code?: number; name?: string; message?: string };
      res
        .set(response.headers)
        .status(e.code ?? 500)
        .json({ error: e.name, error_description: e.message });
    }
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    announceReady(address.port, [credential]);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

if (isMain(import.meta.url)) await serve();
