import type { FastifyInstance } from 'fastify';
import { JWKS_PATH } from '../contract/paths.js';
import type { KeyRing } from '../keys/key-ring.js';
import { JWKS_MAX_AGE_SECONDS } from '../keys/schedule.js';

/** `GET /.well-known/jwks.json`: the public keys that verify issued tokens (next, current and retained). */
export function registerJwksRoute(app: FastifyInstance, keys: KeyRing): void {
  app.get(JWKS_PATH, (_request, reply) => {
    reply
      .header('content-type', 'application/json; charset=utf-8')
      // Verifiers may cache it this long: a rotated key is published ahead by more than this
      // (keys/schedule.ts, DEFAULT_PUBLISH_AHEAD_MS) before it signs.
      .header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
      .send(keys.jwks);
  });
}
