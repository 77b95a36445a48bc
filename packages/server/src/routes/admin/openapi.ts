/**
 * The OpenAPI 3.1 document of the admin REST API and the SMS.CX applications endpoints, served
 * at `GET /admin/v1/openapi.json`. Written by hand: the routes validate their input themselves
 * (see `validation.ts`), and this says what they accept and answer.
 *
 * @module
 */

import { MAX_AUDIT_PAGE } from '../../admin/audit.js';
import { ERROR_DOCS_BASE } from '../../contract/errors.js';
import { TOKEN_EXPIRATIONS } from '../../contract/expiration.js';
import { MAX_NAME_LENGTH } from '../../domain/names.js';
import type { ScopeCatalogue } from '../../domain/scopes.js';

type Json = Record<string, unknown>;

const ref = (kind: 'schemas' | 'responses' | 'parameters', name: string): Json => ({
  $ref: `#/components/${kind}/${name}`,
});
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const dataOf = (schema: Json): Json => ({
  type: 'object',
  required: ['data'],
  properties: { data: schema },
});
const ok = (description: string, schema: Json): Json => ({ description, content: json(dataOf(schema)) });
const arrayOf = (schema: Json): Json => ({ type: 'array', items: schema });
const isoDateTime: Json = { type: 'string', format: 'date-time' };

/** The errors every API-key route can answer. */
const KEY_ERRORS: Json = {
  '401': ref('responses', 'InvalidApiKey'),
  '429': ref('responses', 'TooManyRequests'),
  '503': ref('responses', 'ServiceUnavailable'),
};
/** The errors of a route about one application. */
const APPLICATION_ERRORS: Json = { ...KEY_ERRORS, '404': ref('responses', 'NotFound') };
/** The errors of a route with a JSON body. */
const BODY_ERRORS: Json = { '400': ref('responses', 'BadRequest'), '413': ref('responses', 'BodyTooLarge') };

const applicationId = ref('parameters', 'ApplicationId');

/** The OpenAPI 3.1 document, with the scope names of `catalogue`. */
export function openApiDocument(catalogue: ScopeCatalogue): Json {
  const applicationAction = (summary: string, description: string, response: Json): Json => ({
    post: {
      summary,
      description,
      tags: ['applications'],
      parameters: [applicationId],
      responses: { '200': response, ...APPLICATION_ERRORS },
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'smscx-oauth-server admin API',
      version: '1.0.0',
      description:
        'Applications, signing keys and the audit log of the SMS.CX OAuth token server, and the SMS.CX ' +
        '`/applications` endpoints. Every change is in force on every live server process when its ' +
        'response is sent (else 503: saved but not yet confirmed). Every response has ' +
        '`Cache-Control: no-store` and `X-Request-Id`; errors use the SMS.CX envelope.',
    },
    security: [{ ApiKey: [] }],
    tags: [
      { name: 'applications', description: 'OAuth applications (clients)' },
      { name: 'keys', description: 'Token signing keys' },
      { name: 'audit', description: 'The audit log of admin changes' },
      { name: 'meta', description: 'The calling key, the scope catalogue, this document' },
      { name: 'smscx', description: 'The SMS.CX applications endpoints (`ApplicationsApi`)' },
    ],
    paths: {
      '/applications/scopes': {
        get: {
          summary: 'The scope names, in catalogue order',
          tags: ['smscx'],
          security: [{ ApiKey: [] }, { BearerAuth: [] }],
          description:
            'With `X-API-KEY` the key decides; without it, a Bearer access token of this server is ' +
            'required (401 `invalid_token` with `WWW-Authenticate: Bearer` otherwise).',
          responses: {
            '200': {
              description: 'The scope names',
              content: json(arrayOf(ref('schemas', 'ScopeName'))),
            },
            ...KEY_ERRORS,
          },
        },
      },
      '/applications': {
        get: {
          summary: 'Every application, newest first, without secrets',
          tags: ['smscx'],
          description: 'API key only (a Bearer token is 401 `invalid_api_key`).',
          responses: {
            '200': ok('The applications', arrayOf(ref('schemas', 'SmscxApplication'))),
            ...KEY_ERRORS,
          },
        },
      },
      '/admin/v1/openapi.json': {
        get: {
          summary: 'This document',
          tags: ['meta'],
          security: [],
          responses: {
            '200': { description: 'The OpenAPI 3.1 document', content: json({ type: 'object' }) },
          },
        },
      },
      '/admin/v1/me': {
        get: {
          summary: 'The calling API key',
          tags: ['meta'],
          responses: { '200': ok('The key', ref('schemas', 'ApiKeyIdentity')), ...KEY_ERRORS },
        },
      },
      '/admin/v1/scopes': {
        get: {
          summary: 'The scope catalogue with descriptions',
          tags: ['meta'],
          responses: { '200': ok('The scopes', arrayOf(ref('schemas', 'ScopeEntry'))), ...KEY_ERRORS },
        },
      },
      '/admin/v1/applications': {
        get: {
          summary: 'Every application, newest first',
          tags: ['applications'],
          parameters: [ref('parameters', 'Search')],
          responses: {
            '200': ok('The applications', arrayOf(ref('schemas', 'Application'))),
            '400': ref('responses', 'BadRequest'),
            ...KEY_ERRORS,
          },
        },
        post: {
          summary: 'Create an application (its secret is shown only in this response)',
          tags: ['applications'],
          requestBody: { required: true, content: json(ref('schemas', 'NewApplication')) },
          responses: {
            '201': ok('The application with its secret', ref('schemas', 'CreatedApplication')),
            ...BODY_ERRORS,
            ...KEY_ERRORS,
          },
        },
      },
      '/admin/v1/applications/{application_id}': {
        get: {
          summary: 'One application',
          tags: ['applications'],
          parameters: [applicationId],
          responses: { '200': ok('The application', ref('schemas', 'Application')), ...APPLICATION_ERRORS },
        },
        patch: {
          summary: 'Change the name, scopes or token expiration',
          description: 'A removed scope is refused to the next token request.',
          tags: ['applications'],
          parameters: [applicationId],
          requestBody: { required: true, content: json(ref('schemas', 'ApplicationChanges')) },
          responses: {
            '200': ok('The changed application', ref('schemas', 'Application')),
            ...BODY_ERRORS,
            ...APPLICATION_ERRORS,
          },
        },
        delete: {
          summary: 'Delete the application (its credentials become unknown)',
          tags: ['applications'],
          parameters: [applicationId],
          responses: { '204': { description: 'Deleted' }, ...APPLICATION_ERRORS },
        },
      },
      '/admin/v1/applications/{application_id}/disable': applicationAction(
        'Disable the application',
        'Its token requests get 403 and its tokens become inactive.',
        ok('The application', ref('schemas', 'Application')),
      ),
      '/admin/v1/applications/{application_id}/enable': applicationAction(
        'Enable the application',
        'Undoes a disable.',
        ok('The application', ref('schemas', 'Application')),
      ),
      '/admin/v1/applications/{application_id}/rotate-secret': applicationAction(
        'Replace the secret',
        'The old secret stops working; the new one is shown only in this response.',
        ok('The new secret', ref('schemas', 'RotatedSecret')),
      ),
      '/admin/v1/applications/{application_id}/revoke-tokens': applicationAction(
        'Revoke every token issued so far',
        'Tokens issued before the request are inactive; tokens issued after the response are active.',
        ok('The not-before instant', ref('schemas', 'RevokedTokens')),
      ),
      '/admin/v1/keys': {
        get: {
          summary: 'The signing keys, newest first',
          tags: ['keys'],
          responses: { '200': ok('The keys', arrayOf(ref('schemas', 'SigningKey'))), ...KEY_ERRORS },
        },
      },
      '/admin/v1/keys/rotate': {
        post: {
          summary: 'Make a new current signing key',
          description:
            'The replaced key stays published while its tokens can be valid. The optional body ' +
            "chooses the new key's algorithm, which is the `alg` of the tokens it signs (default " +
            '`EdDSA`); without a body the key is EdDSA.',
          tags: ['keys'],
          requestBody: { required: false, content: json(ref('schemas', 'KeyRotationRequest')) },
          responses: {
            '200': ok('The rotation', ref('schemas', 'KeyRotation')),
            ...BODY_ERRORS,
            ...KEY_ERRORS,
          },
        },
      },
      '/admin/v1/keys/{kid}': {
        get: {
          summary: 'One signing key with its public JWK',
          tags: ['keys'],
          parameters: [ref('parameters', 'Kid')],
          responses: {
            '200': ok('The key', ref('schemas', 'SigningKeyDetail')),
            '404': ref('responses', 'NotFound'),
            ...KEY_ERRORS,
          },
        },
      },
      '/admin/v1/audit': {
        get: {
          summary: 'The audit log, newest first, a page at a time',
          tags: ['audit'],
          parameters: [ref('parameters', 'Since'), ref('parameters', 'Before'), ref('parameters', 'Limit')],
          responses: {
            '200': {
              description: 'One page',
              content: json({
                type: 'object',
                required: ['data', 'next'],
                properties: {
                  data: arrayOf(ref('schemas', 'AuditEntry')),
                  next: {
                    type: ['integer', 'null'],
                    description: 'The `before` of the next page; null on the last page',
                  },
                },
              }),
            },
            '400': ref('responses', 'BadRequest'),
            ...KEY_ERRORS,
          },
        },
      },
    },
    components: {
      securitySchemes: {
        ApiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-KEY',
          description:
            'An API key made with `smscx-oauth-server api-keys create`: `ak_<12 hex>.<43 base64url>`.',
        },
        BearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token of this server (`POST /oauth/token`).',
        },
      },
      parameters: {
        ApplicationId: {
          name: 'application_id',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: '^[0-9a-f]{40}$' },
        },
        Kid: { name: 'kid', in: 'path', required: true, schema: { type: 'string' } },
        Search: {
          name: 'search',
          in: 'query',
          description: 'Only applications whose name or ID contains this (case-insensitive)',
          schema: { type: 'string' },
        },
        Since: {
          name: 'since',
          in: 'query',
          description: 'Only entries at or after this instant: ISO 8601, or epoch milliseconds',
          schema: { type: 'string' },
        },
        Before: {
          name: 'before',
          in: 'query',
          description: 'The cursor: a previous page’s `next`',
          schema: { type: 'integer', minimum: 1 },
        },
        Limit: {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, default: 100 },
        },
      },
      responses: {
        BadRequest: {
          description:
            '`invalid_request`: the message names the field (e.g. `name: must be 1 to 100 characters`), ' +
            'or Content-Type when it is not application/json',
          content: json(ref('schemas', 'Error')),
        },
        BodyTooLarge: { description: 'Body over 16 KiB', content: json(ref('schemas', 'Error')) },
        InvalidApiKey: {
          description: '`invalid_api_key`: no, a malformed, an unknown or a revoked `X-API-KEY`',
          content: json(ref('schemas', 'Error')),
        },
        NotFound: { description: '`not_found`', content: json(ref('schemas', 'Error')) },
        TooManyRequests: {
          description: '`rate_limit`: this client IP spent its failed-authentication budget',
          headers: {
            'X-Rate-Limit-Limit': { schema: { type: 'integer' } },
            'X-Rate-Limit-Remaining': { schema: { type: 'integer' } },
            'X-Rate-Limit-Reset': { schema: { type: 'integer' }, description: 'Unix seconds' },
            'Retry-After': { schema: { type: 'integer' }, description: 'Seconds' },
          },
          content: json(ref('schemas', 'Error')),
        },
        ServiceUnavailable: {
          description:
            '`service_unavailable`: the database is unreachable (1654), or a change was saved but not ' +
            'yet confirmed by every server process (1655)',
          headers: { 'Retry-After': { schema: { type: 'integer' } } },
          content: json(ref('schemas', 'Error')),
        },
      },
      schemas: {
        Error: {
          type: 'object',
          description: 'The SMS.CX error envelope',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['type', 'code', 'message', 'uri'],
              properties: {
                type: { type: 'string', examples: ['invalid_api_key'] },
                code: { type: 'integer', examples: [1602] },
                message: { type: 'string' },
                uri: { type: 'string', format: 'uri', examples: [`${ERROR_DOCS_BASE}invalid_api_key`] },
              },
            },
          },
        },
        ScopeName: { type: 'string', enum: [...catalogue.scopes] },
        Scopes: {
          description: 'Space-delimited (`"sms groups"`) or an array of scope names',
          oneOf: [{ type: 'string' }, arrayOf(ref('schemas', 'ScopeName'))],
        },
        TokenExpiration: { type: 'string', enum: [...TOKEN_EXPIRATIONS] },
        ScopeEntry: {
          type: 'object',
          required: ['scope'],
          properties: { scope: ref('schemas', 'ScopeName'), description: { type: 'string' } },
        },
        ApiKeyIdentity: {
          type: 'object',
          required: ['id', 'name'],
          properties: { id: { type: 'string' }, name: { type: 'string' } },
        },
        SmscxApplication: {
          type: 'object',
          required: [
            'id',
            'application_id',
            'application_secret',
            'application_name',
            'scopes',
            'token_expiration',
            'created_at',
          ],
          properties: {
            id: { type: 'integer' },
            application_id: { type: 'string' },
            application_secret: {
              type: 'string',
              description: '`****` and the last 4 characters of the secret: never the secret',
            },
            application_name: { type: 'string' },
            scopes: { type: 'string', description: 'Space-delimited, catalogue order' },
            token_expiration: ref('schemas', 'TokenExpiration'),
            created_at: isoDateTime,
          },
        },
        Application: {
          type: 'object',
          required: [
            'application_id',
            'name',
            'scopes',
            'token_expiration',
            'status',
            'created_at',
            'updated_at',
            'tokens_not_before',
            'number',
            'secret_hint',
          ],
          properties: {
            application_id: { type: 'string' },
            name: { type: 'string' },
            scopes: { type: 'string', description: 'Space-delimited, catalogue order' },
            token_expiration: ref('schemas', 'TokenExpiration'),
            status: { type: 'string', enum: ['active', 'disabled'] },
            created_at: isoDateTime,
            updated_at: isoDateTime,
            tokens_not_before: { type: ['string', 'null'], format: 'date-time' },
            number: { type: 'integer', description: 'The `id` of `GET /applications`' },
            secret_hint: { type: ['string', 'null'], description: 'The last 4 characters of the secret' },
          },
        },
        CreatedApplication: {
          allOf: [
            ref('schemas', 'Application'),
            {
              type: 'object',
              required: ['application_secret'],
              properties: { application_secret: { type: 'string' } },
            },
          ],
        },
        NewApplication: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
            scopes: { ...ref('schemas', 'Scopes'), description: 'Default: the whole catalogue' },
            token_expiration: { ...ref('schemas', 'TokenExpiration'), default: '1d' },
          },
        },
        ApplicationChanges: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
            scopes: ref('schemas', 'Scopes'),
            token_expiration: ref('schemas', 'TokenExpiration'),
          },
        },
        RotatedSecret: {
          type: 'object',
          required: ['application_id', 'application_secret', 'secret_hint'],
          properties: {
            application_id: { type: 'string' },
            application_secret: { type: 'string' },
            secret_hint: { type: 'string' },
          },
        },
        RevokedTokens: {
          type: 'object',
          required: ['application_id', 'tokens_not_before'],
          properties: { application_id: { type: 'string' }, tokens_not_before: isoDateTime },
        },
        SigningKey: {
          type: 'object',
          required: ['kid', 'alg', 'state', 'created_at', 'retired_at'],
          properties: {
            kid: { type: 'string' },
            alg: { type: 'string', enum: ['EdDSA', 'ES256', 'RS256'] },
            state: { type: 'string', enum: ['current', 'retired'] },
            created_at: isoDateTime,
            retired_at: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        SigningKeyDetail: {
          allOf: [
            ref('schemas', 'SigningKey'),
            {
              type: 'object',
              required: ['public_jwk'],
              properties: { public_jwk: { type: 'object', description: 'The public key as a JWK' } },
            },
          ],
        },
        KeyRotationRequest: {
          type: 'object',
          additionalProperties: false,
          properties: {
            alg: {
              type: 'string',
              enum: ['EdDSA', 'ES256', 'RS256'],
              default: 'EdDSA',
              description: 'EdDSA (Ed25519), ES256 (ECDSA P-256) or RS256 (RSA 2048-bit)',
            },
          },
        },
        KeyRotation: {
          type: 'object',
          required: ['kid', 'alg', 'retired', 'pruned'],
          properties: {
            kid: { type: 'string', description: 'The new current key' },
            alg: { type: 'string', enum: ['EdDSA', 'ES256', 'RS256'], description: 'Its algorithm' },
            retired: arrayOf({ type: 'string' }),
            pruned: { type: 'integer', description: 'Retired keys past retention that were deleted' },
          },
        },
        AuditActor: {
          oneOf: [
            {
              type: 'object',
              required: ['type', 'id', 'name'],
              properties: { type: { const: 'api_key' }, id: { type: 'string' }, name: { type: 'string' } },
            },
            {
              type: 'object',
              required: ['type', 'user'],
              properties: { type: { const: 'cli' }, user: { type: 'string' } },
            },
            { type: 'object', required: ['type'], properties: { type: { const: 'server' } } },
          ],
        },
        AuditEntry: {
          type: 'object',
          required: ['seq', 'at', 'actor', 'action', 'target_type', 'target_id', 'request_id', 'details'],
          properties: {
            seq: { type: 'integer' },
            at: isoDateTime,
            actor: ref('schemas', 'AuditActor'),
            action: { type: 'string', examples: ['application.create'] },
            target_type: { type: 'string', enum: ['application', 'signing_key', 'api_key'] },
            target_id: { type: 'string' },
            request_id: { type: ['string', 'null'], description: 'The `X-Request-Id` of the change' },
            details: { type: 'object' },
          },
        },
      },
    },
  };
}
