/**
 * `/admin/v1/applications`: list, create, show, change, delete, disable, enable, rotate the
 * secret (optional body `{"grace":"24h"|86400}`), revoke a secret in its grace period, revoke
 * every token. Each change goes through the same service function as the CLI,
 * with the request's API key as the audit actor, and is answered once every live server
 * process serves it.
 *
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type ApplicationChanges,
  ApplicationSecretError,
  createApplication,
  deleteApplication,
  revokeApplicationSecret,
  revokeApplicationTokens,
  rotateApplicationSecret,
  setApplicationStatus,
  updateApplication,
  viewApplication,
  viewSecrets,
} from '../../admin/applications.js';
import { type ApiError, Errors } from '../../contract/errors.js';
import {
  ADMIN_APPLICATION_DISABLE_PATH,
  ADMIN_APPLICATION_ENABLE_PATH,
  ADMIN_APPLICATION_PATH,
  ADMIN_APPLICATION_REVOKE_TOKENS_PATH,
  ADMIN_APPLICATION_ROTATE_SECRET_PATH,
  ADMIN_APPLICATION_SECRET_PATH,
  ADMIN_APPLICATIONS_PATH,
} from '../../contract/paths.js';
import { GRACE_FORMAT, isGraceSeconds, parseGrace } from '../../domain/grace.js';
import { isApplicationId, isSecretId } from '../../domain/ids.js';
import type { ApplicationRecord } from '../../storage/types.js';
import {
  type AdminRouteDeps,
  actionOptions,
  adminHooks,
  fromStorage,
  iso,
  readJsonObject,
  sendData,
} from './common.js';
import {
  fieldError,
  parseName,
  parseScopes,
  parseTokenExpiration,
  queryValue,
  rejectUnknownFields,
} from './validation.js';

const FIELDS = ['name', 'scopes', 'token_expiration'] as const;

/** The `:application_id` of the path, or 404 when it cannot name an application. */
function applicationIdOf(request: FastifyRequest): string {
  const id = (request.params as { application_id?: string }).application_id ?? '';
  if (!isApplicationId(id)) throw Errors.applicationNotFound;
  return id;
}

/** `record`, or 404 when there is none. */
function found<T>(record: T | null | false): T {
  if (record === null || record === false) throw Errors.applicationNotFound;
  return record;
}

/** The `:secret_id` of the path, or 404 when it cannot name a secret. */
function secretIdOf(request: FastifyRequest): string {
  const id = (request.params as { secret_id?: string }).secret_id ?? '';
  if (!isSecretId(id)) throw Errors.secretNotFound;
  return id;
}

/**
 * The grace period of `POST …/rotate-secret`, in seconds: no body (or an empty one) is 0; else a
 * JSON object with at most `grace`, a duration string as the CLI takes (`"24h"`, `"0"`) or whole
 * seconds (`86400`).
 *
 * @throws ApiError 400 `invalid_request` for another body or grace period.
 */
function graceOf(request: FastifyRequest): number {
  if (request.body === undefined || request.body === null || request.body === '') return 0;
  const body = readJsonObject(request);
  rejectUnknownFields(body, ['grace']);
  const grace = body.grace;
  if (grace === undefined) return 0;
  const seconds = typeof grace === 'string' ? parseGrace(grace) : isGraceSeconds(grace) ? grace : undefined;
  if (seconds === undefined) throw fieldError('grace', `must be ${GRACE_FORMAT}`);
  return seconds;
}

/** A refused secret action as its API error (409, or 404 for an unknown secret); anything else as it is. */
async function refusedAsApiError<T>(action: Promise<T>): Promise<T> {
  try {
    return await action;
  } catch (error) {
    if (!(error instanceof ApplicationSecretError)) throw error;
    const answers: Record<ApplicationSecretError['reason'], ApiError> = {
      two_secrets: Errors.twoSecrets,
      current_secret: Errors.currentSecret,
      no_such_secret: Errors.secretNotFound,
    };
    throw answers[error.reason];
  }
}

/** Newest first (highest number first). */
export function newestFirst(applications: ApplicationRecord[]): ApplicationRecord[] {
  return applications.sort((a, b) => b.number - a.number);
}

/** Registers the application routes of the admin API. */
export function registerAdminApplicationRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const { storage, pepper, now, catalogue } = deps;
  const onRequest = adminHooks(deps);

  app.route({
    method: 'GET',
    url: ADMIN_APPLICATIONS_PATH,
    onRequest,
    handler: async (request, reply) => {
      const search = queryValue(request.query, 'search')?.toLowerCase() ?? '';
      const applications = newestFirst(await fromStorage(request, () => storage.listApplications()));
      const matching =
        search === ''
          ? applications
          : applications.filter(
              (application) =>
                application.name.toLowerCase().includes(search) || application.id.includes(search),
            );
      return sendData(
        reply,
        matching.map((application) => viewApplication(application, now())),
      );
    },
  });

  app.route({
    method: 'POST',
    url: ADMIN_APPLICATIONS_PATH,
    onRequest,
    handler: async (request, reply) => {
      const body = readJsonObject(request);
      rejectUnknownFields(body, FIELDS);
      if (body.name === undefined) throw fieldError('name', 'is required');
      const input = {
        name: parseName(body.name),
        scopes: body.scopes === undefined ? [...catalogue.scopes] : parseScopes(body.scopes, catalogue),
        tokenExpiration:
          body.token_expiration === undefined ? '1d' : parseTokenExpiration(body.token_expiration),
      } as const;
      const { application, secret } = await fromStorage(request, () =>
        createApplication(storage, pepper, input, now(), actionOptions(request)),
      );
      const { application_id, ...view } = viewApplication(application, now());
      return sendData(reply, { application_id, application_secret: secret, ...view }, 201);
    },
  });

  app.route({
    method: 'GET',
    url: ADMIN_APPLICATION_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      const application = found(await fromStorage(request, () => storage.getApplication(id)));
      return sendData(reply, viewApplication(application, now()));
    },
  });

  app.route({
    method: 'PATCH',
    url: ADMIN_APPLICATION_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      const body = readJsonObject(request);
      rejectUnknownFields(body, FIELDS);
      if (FIELDS.every((field) => body[field] === undefined))
        throw fieldError('body', 'must set at least one of name, scopes, token_expiration');
      const changes: ApplicationChanges = {
        ...(body.name === undefined ? {} : { name: parseName(body.name) }),
        ...(body.scopes === undefined ? {} : { scopes: parseScopes(body.scopes, catalogue) }),
        ...(body.token_expiration === undefined
          ? {}
          : { tokenExpiration: parseTokenExpiration(body.token_expiration) }),
      };
      const application = found(
        await fromStorage(request, () => updateApplication(storage, id, changes, actionOptions(request))),
      );
      return sendData(reply, viewApplication(application, now()));
    },
  });

  app.route({
    method: 'DELETE',
    url: ADMIN_APPLICATION_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      found(await fromStorage(request, () => deleteApplication(storage, id, actionOptions(request))));
      return reply.code(204).send();
    },
  });

  for (const [url, status] of [
    [ADMIN_APPLICATION_DISABLE_PATH, 'disabled'],
    [ADMIN_APPLICATION_ENABLE_PATH, 'active'],
  ] as const) {
    app.route({
      method: 'POST',
      url,
      onRequest,
      handler: async (request, reply) => {
        const id = applicationIdOf(request);
        const application = found(
          await fromStorage(request, () => setApplicationStatus(storage, id, status, actionOptions(request))),
        );
        return sendData(reply, viewApplication(application, now()));
      },
    });
  }

  app.route({
    method: 'POST',
    url: ADMIN_APPLICATION_ROTATE_SECRET_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      const graceSeconds = graceOf(request);
      const at = now();
      const { application, secret } = found(
        await fromStorage(request, () =>
          refusedAsApiError(
            rotateApplicationSecret(storage, pepper, id, {
              ...actionOptions(request),
              graceSeconds,
              now: at,
            }),
          ),
        ),
      );
      return sendData(reply, {
        application_id: application.id,
        application_secret: secret,
        secret_hint: application.secretHint,
        secret_id: application.secretId,
        secrets: viewSecrets(application, at),
      });
    },
  });

  app.route({
    method: 'DELETE',
    url: ADMIN_APPLICATION_SECRET_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      const secretId = secretIdOf(request);
      const at = now();
      const application = found(
        await fromStorage(request, () =>
          refusedAsApiError(
            revokeApplicationSecret(storage, id, secretId, { ...actionOptions(request), now: at }),
          ),
        ),
      );
      return sendData(reply, viewApplication(application, at));
    },
  });

  app.route({
    method: 'POST',
    url: ADMIN_APPLICATION_REVOKE_TOKENS_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      const notBefore = found(
        await fromStorage(request, () => revokeApplicationTokens(storage, id, now, actionOptions(request))),
      );
      return sendData(reply, { application_id: id, tokens_not_before: iso(notBefore) });
    },
  });
}
