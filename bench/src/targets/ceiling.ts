// Target "ceiling": the physical bound. A bare Fastify 5 route POST /oauth/token that parses the Basic
// header and the form body and signs an Ed25519 JWT with node:crypto (or, for the algorithms
// scenario, an ES256 or RS256 one: BENCH_CEILING_ALG). No storage, no rate limiter, no secret
// hashing: whatever our server does beyond this costs req/s. Runs as its own process.
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import {
  announceReady,
  BENCH_DIR,
  isMain,
  type RunningTarget,
  type StartOptions,
  spawnTsTarget,
} from './common.js';
import {
  type Algorithm,
  generateSigningKey,
  isAlgorithm,
  randomCredential,
  SCOPES,
  signAccessToken,
  TOKEN_TTL_S,
} from './jwt.js';

export const CEILING_FILE = join(BENCH_DIR, 'src', 'targets', 'ceiling.ts');

/** Starts the ceiling server as a child process (pinned with taskset when possible). */
export function startCeiling(opts: StartOptions, alg: Algorithm = 'EdDSA'): Promise<RunningTarget> {
  const label = alg === 'EdDSA' ? 'ceiling' : `ceiling ${alg}`;
  return spawnTsTarget(label, CEILING_FILE, opts, { BENCH_CEILING_ALG: alg });
}

function decodeBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

async function serve(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const alg = process.env.BENCH_CEILING_ALG ?? 'EdDSA';
  if (!isAlgorithm(alg)) throw new Error(`BENCH_CEILING_ALG: unknown algorithm ${alg}`);
  const key = generateSigningKey(alg);
  const credential = randomCredential();
  const secret = Buffer.from(credential.secret);
  const tail = `"token_type":"Bearer","expires_in":${TOKEN_TTL_S},"scope":"${SCOPES}"}`;
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  app.post('/oauth/token', async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const client = decodeBasic(request.headers.authorization);
    const given = client ? Buffer.from(client.secret) : undefined;
    if (
      !client ||
      client.id !== credential.id ||
      !given ||
      given.length !== secret.length ||
      !timingSafeEqual(given, secret)
    ) {
      return reply
        .code(401)
        .send({ error: { type: 'invalid_client', code: 1600, message: 'Invalid client' } });
    }
    const params = request.body instanceof URLSearchParams ? request.body : undefined;
    if (params?.get('grant_type') !== 'client_credentials') {
      return reply
        .code(400)
        .send({ error: { type: 'unsupported_grant_type', code: 1600, message: 'Unsupported grant type' } });
    }
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"access_token":"${signAccessToken(key, client.id, SCOPES)}",${tail}`);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  announceReady(address.port, [credential]);
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

if (isMain(import.meta.url)) await serve();
