/**
 * smscx-oauth-server: the SMS.CX OAuth token server.
 *
 * @module
 */

export {
  type ApiKeyView,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from './admin/api-keys.js';
export {
  ApplicationSecretError,
  type ApplicationView,
  type CreatedApplication,
  createApplication,
  createApplications,
  deleteApplication,
  type NewApplication,
  type RotateSecretOptions,
  revokeApplicationSecret,
  revokeApplicationTokens,
  rotateApplicationSecret,
  type SecretRefusal,
  type SecretView,
  setApplicationStatus,
  updateApplication,
  viewApplication,
} from './admin/applications.js';
export { type AdminActionOptions, type AuditPage, readAudit } from './admin/audit.js';
export { listKeys, type RotateKeysOptions, rotateKeys, type SigningKeyView } from './admin/keys.js';
export { type BuildAppOptions, buildApp } from './app.js';
export {
  ConfigError,
  type ConfigInput,
  DEFAULTS,
  ENV,
  type LogLevel,
  type RateLimitSetting,
  resolveConfig,
  type ServerConfig,
} from './config/options.js';
export { ApiError, type ApiErrorType } from './contract/errors.js';
export { TOKEN_EXPIRATIONS, type TokenExpiration } from './contract/expiration.js';
export type { Clock } from './domain/clock.js';
export { DEFAULT_SCOPES } from './domain/scopes.js';
export { loadOrCreatePepper, pepperFingerprint } from './domain/secrets.js';
export { type PublicJwk, SIGNING_ALGORITHMS, type SigningAlgorithm } from './keys/key-material.js';
export {
  ensureSigningKey,
  type KeyRotation,
  type RotateSigningKeyOptions,
  rotateSigningKey,
} from './keys/key-ring.js';
export { openPepper, PepperError } from './keys/pepper-guard.js';
export { RETIRED_KEY_RETENTION_MS } from './keys/retention.js';
export {
  DEFAULT_PUBLISH_AHEAD_MS,
  JWKS_MAX_AGE_SECONDS,
  type SigningKeyState,
  signingKeyState,
} from './keys/schedule.js';
export { type RunningServer, type StartServerOptions, startServer } from './server.js';
export { describeDatabase, openStorage } from './storage/open.js';
export { MIGRATIONS, type Migration } from './storage/sqlite/migrations.js';
export { openSqliteStorage } from './storage/sqlite/sqlite-storage.js';
export {
  type ApiKeyRecord,
  type ApplicationPatch,
  type ApplicationRecord,
  type ApplicationStatus,
  type AuditActor,
  type AuditEntry,
  type AuditRecord,
  type ChangeEntity,
  type ChangeRecord,
  DatabaseBusyError,
  type NewApplicationRecord,
  type RevokedTokenRecord,
  type SigningKeyRecord,
  type Storage,
  type TokenRevocation,
} from './storage/types.js';
