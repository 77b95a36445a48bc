/**
 * `/admin/v1/keys`: the signing keys (newest first), one key with its public JWK, and rotation
 * (optional body `{"alg":"EdDSA"|"ES256"|"RS256"}`).
 *
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rotateKeys } from '../../admin/keys.js';
import { Errors } from '../../contract/errors.js';
import { ADMIN_KEY_PATH, ADMIN_KEYS_PATH, ADMIN_KEYS_ROTATE_PATH } from '../../contract/paths.js';
import {
  DEFAULT_SIGNING_ALGORITHM,
  isSigningAlgorithm,
  type SigningAlgorithm,
} from '../../keys/key-material.js';
import type { SigningKeyRecord } from '../../storage/types.js';
import {
  type AdminRouteDeps,
  actionOptions,
  adminHooks,
  fromStorage,
  iso,
  readJsonObject,
  sendData,
} from './common.js';
import { fieldError, rejectUnknownFields } from './validation.js';

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

/**
 * The algorithm asked for by the optional body of `POST /admin/v1/keys/rotate`: no body (or an
 * empty one) is EdDSA; otherwise a JSON object with at most `alg`.
 *
 * @throws ApiError 400 `invalid_request` for another body or algorithm.
 */
function rotationAlgorithm(request: FastifyRequest): SigningAlgorithm {
  if (request.body === undefined || request.body === null || request.body === '')
    return DEFAULT_SIGNING_ALGORITHM;
  const body = readJsonObject(request);
  rejectUnknownFields(body, ['alg']);
  if (body.alg === undefined) return DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(body.alg)) throw fieldError('alg', 'must be EdDSA, ES256 or RS256');
  return body.alg;
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
      const alg = rotationAlgorithm(request);
      const rotation = await fromStorage(request, () =>
        rotateKeys(storage, pepper, now(), { ...actionOptions(request), alg }),
      );
      return sendData(reply, {
        kid: rotation.kid,
        alg: rotation.alg,
        retired: rotation.retired,
        pruned: rotation.pruned,
      });
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
