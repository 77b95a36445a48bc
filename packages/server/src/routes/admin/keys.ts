/**
 * `/admin/v1/keys`: the signing keys (newest first), one key with its public JWK, and rotation.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { rotateKeys } from '../../admin/keys.js';
import { Errors } from '../../contract/errors.js';
import { ADMIN_KEY_PATH, ADMIN_KEYS_PATH, ADMIN_KEYS_ROTATE_PATH } from '../../contract/paths.js';
import type { SigningKeyRecord } from '../../storage/types.js';
import { type AdminRouteDeps, actionOptions, adminHooks, fromStorage, iso, sendData } from './common.js';

/** The public view of a signing key: never its private half. */
export interface SigningKeyView {
  readonly kid: string;
  readonly alg: string;
  /** `current` signs new tokens; `retired` ones stay published while their tokens can be valid. */
  readonly state: 'current' | 'retired';
  readonly created_at: string;
  readonly retired_at: string | null;
}

export function viewSigningKey(key: SigningKeyRecord): SigningKeyView {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.retiredAt === null ? 'current' : 'retired',
    created_at: iso(key.createdAt),
    retired_at: key.retiredAt === null ? null : iso(key.retiredAt),
  };
}

/** Registers the signing key routes of the admin API. */
export function registerAdminKeyRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const { storage, pepper, now } = deps;
  const onRequest = adminHooks(deps);

  app.route({
    method: 'GET',
    url: ADMIN_KEYS_PATH,
    onRequest,
    handler: async (request, reply) => {
      const keys = await fromStorage(request, () => storage.listSigningKeys());
      return sendData(reply, keys.sort((a, b) => b.createdAt - a.createdAt).map(viewSigningKey));
    },
  });

  app.route({
    method: 'POST',
    url: ADMIN_KEYS_ROTATE_PATH,
    onRequest,
    handler: async (request, reply) => {
      const rotation = await fromStorage(request, () =>
        rotateKeys(storage, pepper, now(), actionOptions(request)),
      );
      return sendData(reply, { kid: rotation.kid, retired: rotation.retired, pruned: rotation.pruned });
    },
  });

  app.route({
    method: 'GET',
    url: ADMIN_KEY_PATH,
    onRequest,
    handler: async (request, reply) => {
      const { kid } = request.params as { kid: string };
      const keys = await fromStorage(request, () => storage.listSigningKeys());
      const key = keys.find((candidate) => candidate.kid === kid);
      if (key === undefined) throw Errors.signingKeyNotFound;
      return sendData(reply, { ...viewSigningKey(key), public_jwk: JSON.parse(key.publicJwk) as unknown });
    },
  });
}
