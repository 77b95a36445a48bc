/**
 * smscx-client: the TypeScript SDK for the SMS.CX OAuth API.
 * @packageDocumentation
 */

export type { ApiRequest } from './api-client.js';
export { ApiClient } from './api-client.js';
export type { GetApplicationsListParams, GetScopesParams } from './apis/applications-api.js';
export { ApplicationsApi } from './apis/applications-api.js';
export type { GetAccessTokenParams } from './apis/oauth-api.js';
export { OauthApi } from './apis/oauth-api.js';
export type {
  ConfigurationParameters,
  FetchInit,
  FetchLike,
  FetchResponse,
  Logger,
  LogLevel,
} from './configuration.js';
export {
  Configuration,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  LOG_LEVELS,
} from './configuration.js';
export type { ApiResponse, WithResponse } from './core/api-promise.js';
export { ApiPromise } from './core/api-promise.js';
export type { ApiError, ApiErrorBody, ApiErrorName, ApiExceptionInit, RateLimitInfo } from './core/errors.js';
export {
  AccessDeniedException,
  ApiConnectionException,
  ApiException,
  ApiMethodNotAllowedException,
  ApiTimeoutException,
  InvalidCredentialsException,
  InvalidRequestException,
  InvalidScopeException,
  isApiError,
  RateLimitExceededException,
  ServerErrorException,
  UnsupportedGrantTypeException,
} from './core/errors.js';
export type { RawResponse } from './internal/transport.js';
export type { Application, ApplicationsListResponse } from './models/applications-list-response.js';
export type { OauthTokenResponse } from './models/oauth-token-response.js';
export type { GetTokenOptions, TokenFetchOptions, TokenManagerOptions } from './token-manager.js';
export { DEFAULT_REFRESH_SKEW_SECONDS, TokenManager } from './token-manager.js';
export type { ReleaseLock, StoredToken, TokenStore } from './token-store.js';
export { MemoryTokenStore, tokenCacheKey } from './token-store.js';
export { VERSION } from './version.js';
