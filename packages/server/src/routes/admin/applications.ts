/**
 * `/admin/v1/applications`: list, create, show, change, delete, disable, enable, rotate the
 * secret, revoke every token. Each change goes through the same service function as the CLI,
 * with the request's API key as the audit actor, and is answered once every live server
 * process serves it.
 *
 * @module
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type ApplicationChanges,
  createApplication,
  deleteApplication,
  revokeApplicationTokens,
  rotateApplicationSecret,
  setApplicationStatus,
  updateApplication,
  viewApplication,
} from '../../admin/applications.js';
import { Errors } from '../../contract/errors.js';
import {
  ADMIN_APPLICATION_DISABLE_PATH,
  ADMIN_APPLICATION_ENABLE_PATH,
  ADMIN_APPLICATION_PATH,
  ADMIN_APPLICATION_REVOKE_TOKENS_PATH,
  ADMIN_APPLICATION_ROTATE_SECRET_PATH,
  ADMIN_APPLICATIONS_PATH,
} from '../../contract/paths.js';
import { isApplicationId } from '../../domain/ids.js';
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
      return sendData(reply, matching.map(viewApplication));
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
      const { application_id, ...view } = viewApplication(application);
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
      return sendData(reply, viewApplication(application));
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
      return sendData(reply, viewApplication(application));
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
        return sendData(reply, viewApplication(application));
      },
    });
  }

  app.route({
    method: 'POST',
    url: ADMIN_APPLICATION_ROTATE_SECRET_PATH,
    onRequest,
    handler: async (request, reply) => {
      const id = applicationIdOf(request);
      const { application, secret } = found(
        await fromStorage(request, () =>
          rotateApplicationSecret(storage, pepper, id, actionOptions(request)),
        ),
      );
      return sendData(reply, {
        application_id: application.id,
        application_secret: secret,
        secret_hint: application.secretHint,
      });
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
