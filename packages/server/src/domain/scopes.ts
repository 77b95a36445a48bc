/** The default scope catalogue: one scope token per resource family of the SMS.CX API. */
export const DEFAULT_SCOPES: readonly string[] = [
  'sms',
  'viber',
  'whatsapp',
  'multichannel',
  'conversations',
  'groups',
  'templates',
  'originators',
  'numbers',
  'reports',
  'shortlinks',
  'attachments',
  'optouts',
  'otp',
];

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Longest `scope` parameter accepted; anything longer is `invalid_scope` without further work. */
export const MAX_SCOPE_LENGTH = 2048;

/** Tells whether `token` is a syntactically valid RFC 6749 scope token. */
export function isScopeToken(token: string): boolean {
  return SCOPE_TOKEN_PATTERN.test(token);
}

/**
 * Splits a space-delimited scope string into tokens, dropping empty ones (so extra spaces
 * are tolerated). Does not validate.
 */
export function splitScope(scope: string): string[] {
  return scope.split(' ').filter((token) => token.length > 0);
}

/**
 * The scope catalogue: the known scope tokens and their canonical order. Granted scopes are
 * always reported in catalogue order, whatever order they were requested in.
 */
export class ScopeCatalogue {
  readonly scopes: readonly string[];
  private readonly index: Map<string, number>;

  /** @throws Error when a token is malformed or repeated. */
  constructor(scopes: readonly string[] = DEFAULT_SCOPES) {
    const index = new Map<string, number>();
    for (const scope of scopes) {
      if (!isScopeToken(scope)) throw new Error(`invalid scope token in catalogue: ${JSON.stringify(scope)}`);
      if (index.has(scope)) throw new Error(`scope listed twice in catalogue: ${scope}`);
      index.set(scope, index.size);
    }
    if (index.size === 0) throw new Error('the scope catalogue must not be empty');
    this.scopes = [...scopes];
    this.index = index;
  }

  /** Tells whether `scope` is in the catalogue. */
  has(scope: string): boolean {
    return this.index.has(scope);
  }

  /** Returns the known tokens of `scopes`, deduplicated, in canonical order. */
  canonical(scopes: Iterable<string>): string[] {
    const wanted = new Set(scopes);
    return this.scopes.filter((scope) => wanted.has(scope));
  }

  /**
   * Returns the scope tokens of `input` (space-delimited) that are not in the catalogue or
   * are malformed; an empty result means every token is valid.
   */
  unknown(input: string): string[] {
    return splitScope(input).filter((token) => !this.index.has(token));
  }
}

/**
 * What one application may be granted, prepared once so each token request only does set
 * look-ups. `full` is the granted scope string when the request names no scope.
 */
export class AllowedScopes {
  readonly full: string;
  private readonly allowed: ReadonlySet<string>;
  private readonly catalogue: ScopeCatalogue;

  constructor(catalogue: ScopeCatalogue, allowed: readonly string[]) {
    this.catalogue = catalogue;
    const canonical = catalogue.canonical(allowed);
    this.allowed = new Set(canonical);
    this.full = canonical.join(' ');
  }

  /**
   * Resolves a requested `scope` parameter to the granted scope string (canonical order,
   * duplicates collapsed), or `undefined` when any token is malformed, unknown or not allowed.
   * An empty or absent request grants every allowed scope.
   */
  grant(requested: string | undefined): string | undefined {
    if (requested === undefined) return this.full;
    if (requested.length > MAX_SCOPE_LENGTH) return undefined;
    const tokens = splitScope(requested);
    if (tokens.length === 0) return this.full;
    for (const token of tokens) {
      if (!this.allowed.has(token)) return undefined;
    }
    if (tokens.length === 1) return tokens[0];
    return this.catalogue.canonical(tokens).join(' ');
  }
}
