// The admin REST API (/admin/v1), the page's only way to read or change anything. The API key
// is kept in sessionStorage (gone when the tab closes) and sent as X-API-KEY: no cookie, so a
// cross-site request carries no credential.

const KEY_STORAGE = 'smscx-oauth-admin.api-key';

/** The token lifetimes. */
export type Expiration = '1d' | '1w' | 'never';

/** An application as the admin API shows it. */
export interface Application {
  readonly application_id: string;
  readonly name: string;
  readonly scopes: string;
  readonly token_expiration: Expiration;
  readonly status: 'active' | 'disabled';
  readonly created_at: string;
  readonly updated_at: string;
  readonly tokens_not_before: string | null;
  readonly number: number;
  readonly secret_hint: string | null;
  /** The secrets that work now: the current one, then the old one of a rotation in its grace period. */
  readonly secrets: readonly ApplicationSecret[];
}

/** One secret of an application (never the secret itself). */
export interface ApplicationSecret {
  readonly id: string;
  readonly hint: string | null;
  readonly created_at: string | null;
  /** When the old secret's grace period ends; null for the current secret. */
  readonly expires_at: string | null;
  /** To the minute, about a minute behind; null when not yet used. */
  readonly last_used_at: string | null;
}

/** The answer of `POST applications/{id}/rotate-secret`. */
export interface RotatedSecret extends Credentials {
  readonly secret_hint: string;
  readonly secret_id: string;
  readonly secrets: readonly ApplicationSecret[];
}

/** `POST /applications` and `rotate-secret` answers: the only ones with the secret. */
export interface Credentials {
  readonly application_id: string;
  readonly application_secret: string;
}

/** One scope of the catalogue. */
export interface Scope {
  readonly scope: string;
  readonly description?: string;
}

/** A signing key (public view). */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  /** `next`: published, signs from `activates_at` on; `current`: signs; `retired`: signs nothing more. */
  readonly state: 'next' | 'current' | 'retired';
  readonly created_at: string;
  readonly activates_at: string;
  readonly retired_at: string | null;
}

/** The answer of `POST /keys/rotate`. */
export interface KeyRotation {
  readonly kid: string;
  readonly alg: string;
  readonly state: 'next' | 'current';
  readonly created_at: string;
  readonly activates_at: string;
  readonly retired: readonly string[];
  readonly replaced: readonly string[];
  readonly pruned: number;
}

/** Who made an audited change. */
export type Actor =
  | { readonly type: 'api_key'; readonly id: string; readonly name: string }
  | { readonly type: 'cli'; readonly user: string }
  | { readonly type: 'server' };

/** One audit log entry. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: Actor;
  readonly action: string;
  readonly target_type: string;
  readonly target_id: string;
  readonly request_id: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A failed call: `kind` says what the page should do about it. */
export class ApiFailure extends Error {
  /**
   * `auth`: the key was refused (the page signs out); `network`: the server could not be
   * reached; `http`: the server answered with an error (`status`, `type`).
   */
  readonly kind: 'auth' | 'network' | 'http';
  readonly status: number;
  readonly type: string;
  constructor(kind: 'auth' | 'network' | 'http', message: string, status = 0, type = '') {
    super(message);
    this.kind = kind;
    this.status = status;
    this.type = type;
  }
}

/** The stored API key, or null when signed out. */
export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** `<page>/v1/`: the API next to the page (`/admin` → `/admin/v1/`), behind a path prefix too. */
function apiBase(): string {
  return `${location.pathname.replace(/\/+$/, '')}/v1/`;
}

/** Called when the stored key is refused, before the failure is thrown. */
let onAuthLost: (message: string) => void = () => {};
export function whenAuthLost(handler: (message: string) => void): void {
  onAuthLost = handler;
}

/**
 * Calls `method path` of the admin API with `key` (default: the stored one) and returns the
 * parsed body (undefined for 204).
 *
 * @throws ApiFailure
 */
export async function call<T>(method: string, path: string, body?: unknown, key = storedKey()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(apiBase() + path, {
      method,
      headers,
      cache: 'no-store',
      credentials: 'omit',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiFailure(
      'network',
      'Cannot reach the server. Check that it is running and reachable, then try again.',
    );
  }
  if (response.status === 204) return undefined as T;
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch {
    parsed = undefined;
  }
  if (response.ok && parsed !== undefined) return parsed as T;
  const error = (parsed as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
  const type = typeof error?.type === 'string' ? error.type : '';
  if (response.status === 401 && type === 'invalid_api_key') {
    const message = 'The API key was refused: it may have been revoked. Sign in with a valid key.';
    if (key === storedKey()) onAuthLost(message);
    throw new ApiFailure('auth', message, 401, type);
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get('retry-after'));
    throw new ApiFailure(
      'http',
      `Too many failed attempts from this address; try again${wait > 0 ? ` in ${wait} s` : ' shortly'}.`,
      429,
      type,
    );
  }
  if (response.status >= 502 && response.status <= 504 && type === '') {
    throw new ApiFailure(
      'network',
      `The server is unavailable (HTTP ${response.status}). Try again shortly.`,
    );
  }
  const message =
    typeof error?.message === 'string' ? error.message : `The server answered HTTP ${response.status}.`;
  throw new ApiFailure('http', message, response.status, type);
}

/** `GET` one `{"data": ...}`. */
export async function getData<T>(path: string, key?: string): Promise<T> {
  return (await call<{ data: T }>('GET', path, undefined, key)).data;
}

/** `method` with a JSON body (or none), returning its `data`. */
export async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await call<{ data: T }>(method, path, body)).data;
}

/** The path of an application (IDs are 40 hex, but encode anyway). */
export function applicationPath(id: string, action = ''): string {
  return `applications/${encodeURIComponent(id)}${action === '' ? '' : `/${action}`}`;
}

/** The message of any failure, for the page. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
