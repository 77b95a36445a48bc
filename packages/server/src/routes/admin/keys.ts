/**
 * `/admin/v1/keys`: the signing keys (newest first, each with its state), one key with its public
 * JWK, and rotation (optional body `{"alg":"EdDSA"|"ES256"|"RS256","publish_ahead":"10m"|600}`).
 *
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { listKeys, rotateKeys, viewSigningKey } from '../../admin/keys.js';
import { Errors } from '../../contract/errors.js';
import { ADMIN_KEY_PATH, ADMIN_KEYS_PATH, ADMIN_KEYS_ROTATE_PATH } from '../../contract/paths.js';
import {
  DEFAULT_SIGNING_ALGORITHM,
  isSigningAlgorithm,
  type SigningAlgorithm,
} from '../../keys/key-material.js';
import { MAX_PUBLISH_AHEAD_MS, parsePublishAhead } from '../../keys/schedule.js';
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

/** What the optional body of `POST /admin/v1/keys/rotate` asks for. */
interface RotationRequest {
  readonly alg: SigningAlgorithm;
  /** Undefined: the default. */
  readonly publishAheadMs: number | undefined;
}

const PUBLISH_AHEAD_PROBLEM =
  'must be a duration such as "90s", "15m", "24h" or "7d", or whole seconds, at most 30 days (0 signs at once)';

/** `publish_ahead`: a duration string as the CLI takes (`"15m"`, `"600"`, `"0"`) or whole seconds (`900`). */
function publishAheadOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms =
    typeof value === 'string'
      ? parsePublishAhead(value)
      : typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
        ? value * 1000
        : undefined;
  if (ms === undefined || ms > MAX_PUBLISH_AHEAD_MS) throw fieldError('publish_ahead', PUBLISH_AHEAD_PROBLEM);
  return ms;
}

/**
 * The optional body of `POST /admin/v1/keys/rotate`: no body (or an empty one) is an EdDSA key
 * published ahead by the default; otherwise a JSON object with at most `alg` and `publish_ahead`.
 *
 * @throws ApiError 400 `invalid_request` for another body, algorithm or duration.
 */
function rotationRequest(request: FastifyRequest): RotationRequest {
  if (request.body === undefined || request.body === null || request.body === '')
    return { alg: DEFAULT_SIGNING_ALGORITHM, publishAheadMs: undefined };
  const body = readJsonObject(request);
  rejectUnknownFields(body, ['alg', 'publish_ahead']);
  let alg = DEFAULT_SIGNING_ALGORITHM;
  if (body.alg !== undefined) {
    if (!isSigningAlgorithm(body.alg)) throw fieldError('alg', 'must be EdDSA, ES256 or RS256');
    alg = body.alg;
  }
  return { alg, publishAheadMs: publishAheadOf(body.publish_ahead) };
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
      const at = now();
      return sendData(reply, await fromStorage(request, () => listKeys(storage, at)));
    },
  });

  app.route({
    method: 'POST',
    url: ADMIN_KEYS_ROTATE_PATH,
    onRequest,
    handler: async (request, reply) => {
      const { alg, publishAheadMs } = rotationRequest(request);
      const at = now();
      const rotation = await fromStorage(request, () =>
        rotateKeys(storage, pepper, at, { ...actionOptions(request), alg, publishAheadMs }),
      );
      return sendData(reply, {
        kid: rotation.kid,
        alg: rotation.alg,
        state: rotation.activatesAt > at ? 'next' : 'current',
        created_at: iso(rotation.createdAt),
        activates_at: iso(rotation.activatesAt),
        retired: rotation.retired,
        replaced: rotation.replaced,
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
      return sendData(reply, {
        ...viewSigningKey(key, now()),
        public_jwk: JSON.parse(key.publicJwk) as unknown,
      });
    },
  });
}
