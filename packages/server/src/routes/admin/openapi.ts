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
import { MAX_GRACE_SECONDS } from '../../domain/grace.js';
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
      '/admin/v1/applications/{application_id}/rotate-secret': {
        post: {
          summary: 'Replace the secret, the old one working on for a grace period',
          description:
            'Makes a new current secret, shown only in this response. The old secret keeps working ' +
            'for `grace` (optional body; default 0: it stops at once), then stops on every server ' +
            'process, each by its own clock. An application has at most two secrets: while the old ' +
            'one of a previous rotation is still in its grace period the rotation is refused (409 ' +
            '`conflict`); revoke it first (`DELETE …/secrets/{secret_id}`) or wait until it expires. ' +
            'Without a body (or with an empty one) the grace period is 0.',
          tags: ['applications'],
          parameters: [applicationId],
          requestBody: { required: false, content: json(ref('schemas', 'SecretRotationRequest')) },
          responses: {
            '200': ok('The new secret', ref('schemas', 'RotatedSecret')),
            '409': ref('responses', 'Conflict'),
            ...BODY_ERRORS,
            ...APPLICATION_ERRORS,
          },
        },
      },
      '/admin/v1/applications/{application_id}/secrets/{secret_id}': {
        delete: {
          summary: 'End the old secret at once, before its grace period is over',
          description:
            'The secret stops working on every server process when the response is sent. Only the ' +
            'old secret of a rotation with a grace period can be revoked: the current one is 409 ' +
            '`conflict` (rotate the secret instead), and an unknown or expired secret is 404.',
          tags: ['applications'],
          parameters: [applicationId, ref('parameters', 'SecretId')],
          responses: {
            '200': ok('The application, without the secret', ref('schemas', 'Application')),
            '409': ref('responses', 'Conflict'),
            ...APPLICATION_ERRORS,
          },
        },
      },
      '/admin/v1/applications/{application_id}/revoke-tokens': applicationAction(
        'Revoke every token issued so far',
        'Tokens issued before the request are inactive; tokens issued after the response are active.',
        ok('The not-before instant', ref('schemas', 'RevokedTokens')),
      ),
      '/admin/v1/keys': {
        get: {
          summary: 'The signing keys, newest first, each with its state now',
          tags: ['keys'],
          responses: { '200': ok('The keys', arrayOf(ref('schemas', 'SigningKey'))), ...KEY_ERRORS },
        },
      },
      '/admin/v1/keys/rotate': {
        post: {
          summary: 'Make a new signing key, published before it signs',
          description:
            'The new key is in the JWKS at once and signs from `activates_at` on: `publish_ahead` ' +
            'after the request (default 10 minutes, twice the JWKS `max-age` of 300 seconds, so a ' +
            'resource server that honours the cache header knows the key before any token it signs ' +
            'exists). Until then the key signing now goes on signing; it retires at that instant and ' +
            'stays published while its tokens can be valid. `publish_ahead` 0 signs at once (the ' +
            'emergency path). A `next` key still waiting for its activation is replaced: it is ' +
            'retired at once and never signs. The first key of a database signs at once. The ' +
            "optional body chooses the new key's algorithm, which is the `alg` of the tokens it " +
            'signs (default `EdDSA`), and the publish-ahead; without a body the key is EdDSA, ' +
            'published ahead by the default.',
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
        SecretId: {
          name: 'secret_id',
          in: 'path',
          required: true,
          description: 'The ID of one of the application’s secrets (its `secrets`)',
          schema: { type: 'string', pattern: '^sc_[0-9a-f]{12}$' },
        },
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
        Conflict: {
          description:
            '`conflict`: a rotation while the old secret of the previous one is in its grace period ' +
            '(at most two secrets), or revoking the current secret',
          content: json(ref('schemas', 'Error')),
        },
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
            'secrets',
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
            secrets: {
              ...arrayOf(ref('schemas', 'ApplicationSecret')),
              description:
                'The secrets that work now: the current one first, then the old one of a rotation ' +
                'while in its grace period (at most two)',
            },
          },
        },
        ApplicationSecret: {
          type: 'object',
          description: 'One secret of an application: never the secret itself',
          required: ['id', 'hint', 'created_at', 'expires_at', 'last_used_at'],
          properties: {
            id: { type: 'string', pattern: '^sc_[0-9a-f]{12}$' },
            hint: {
              type: ['string', 'null'],
              description: 'Its last 4 characters; null for a secret made before hints existed',
            },
            created_at: {
              type: ['string', 'null'],
              format: 'date-time',
              description: 'Null when unknown (a secret older than the record of it)',
            },
            expires_at: {
              type: ['string', 'null'],
              format: 'date-time',
              description: 'When the old secret’s grace period ends; null for the current secret',
            },
            last_used_at: {
              type: ['string', 'null'],
              format: 'date-time',
              description:
                'When it last authenticated a request, to the minute (written in the background, ' +
                'about a minute behind); null when not yet',
            },
          },
        },
        SecretRotationRequest: {
          type: 'object',
          additionalProperties: false,
          properties: {
            grace: {
              description:
                'How long the old secret keeps working: a duration (`"90s"`, `"15m"`, `"24h"`, ' +
                '`"7d"`; a bare number in a string is seconds) or whole seconds. Default 0: it stops ' +
                'at once.',
              oneOf: [
                { type: 'string', pattern: '^[0-9]+[smhd]?$', examples: ['24h'] },
                { type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS },
              ],
              default: 0,
            },
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
          required: ['application_id', 'application_secret', 'secret_hint', 'secret_id', 'secrets'],
          properties: {
            application_id: { type: 'string' },
            application_secret: { type: 'string' },
            secret_hint: { type: 'string' },
            secret_id: { type: 'string', description: 'The new secret’s ID' },
            secrets: {
              ...arrayOf(ref('schemas', 'ApplicationSecret')),
              description: 'The new secret, then the old one while in its grace period',
            },
          },
        },
        RevokedTokens: {
          type: 'object',
          required: ['application_id', 'tokens_not_before'],
          properties: { application_id: { type: 'string' }, tokens_not_before: isoDateTime },
        },
        SigningKey: {
          type: 'object',
          required: ['kid', 'alg', 'state', 'created_at', 'activates_at', 'retired_at'],
          properties: {
            kid: { type: 'string' },
            alg: { type: 'string', enum: ['EdDSA', 'ES256', 'RS256'] },
            state: {
              type: 'string',
              enum: ['next', 'current', 'retired'],
              description:
                '`next`: published, signs from `activates_at` on; `current`: signs new tokens; ' +
                '`retired`: signs nothing more, published while its tokens can be valid',
            },
            created_at: { ...isoDateTime, description: 'When it was made and published' },
            activates_at: { ...isoDateTime, description: 'When it signs (or signed) from' },
            retired_at: {
              type: ['string', 'null'],
              format: 'date-time',
              description:
                'When it stops (or stopped) signing: the activation of the key that replaces it; ' +
                'null while no newer key is planned',
            },
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
            publish_ahead: {
              oneOf: [
                { type: 'string', pattern: '^[0-9]{1,10}[smhd]?$', examples: ['10m', '24h', '0'] },
                { type: 'integer', minimum: 0, maximum: 2_592_000, description: 'Seconds' },
              ],
              default: '10m',
              description:
                'How long the new key is in the JWKS before it signs: a duration (`90s`, `15m`, ' +
                '`24h`, `7d`; a bare number is seconds) or whole seconds as a number, at most 30 ' +
                'days; 0 signs at once',
            },
          },
        },
        KeyRotation: {
          type: 'object',
          required: ['kid', 'alg', 'state', 'created_at', 'activates_at', 'retired', 'replaced', 'pruned'],
          properties: {
            kid: { type: 'string', description: 'The new key' },
            alg: { type: 'string', enum: ['EdDSA', 'ES256', 'RS256'], description: 'Its algorithm' },
            state: {
              type: 'string',
              enum: ['next', 'current'],
              description: '`next` until `activates_at`; `current` when it signs at once',
            },
            created_at: { ...isoDateTime, description: 'When it was made and published' },
            activates_at: { ...isoDateTime, description: 'When it signs from' },
            retired: {
              ...arrayOf({ type: 'string' }),
              description: 'The key that signed at the request: it signs until `activates_at`, then retires',
            },
            replaced: {
              ...arrayOf({ type: 'string' }),
              description: 'A `next` key this rotation replaced: retired at once, it never signs',
            },
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
