import type { FastifyInstance } from 'fastify';
import { JWKS_PATH } from '../contract/paths.js';
import type { KeyRing } from '../keys/key-ring.js';

/** `GET /.well-known/jwks.json`: the public keys that verify issued tokens (current and retained). */
export function registerJwksRoute(app: FastifyInstance, keys: KeyRing): void {
  app.get(JWKS_PATH, (_request, reply) => {
    reply
      .header('content-type', 'application/json; charset=utf-8')
      // Verifiers may cache briefly; a rotation is published before the new key signs anything
      // that matters for longer than this.
      .header('cache-control', 'public, max-age=300')
      .send(keys.jwks);
  });
}
