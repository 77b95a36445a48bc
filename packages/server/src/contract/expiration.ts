/**
 * Token lifetimes an application can have (CONTRACT.md, "Applications"): the one list of them.
 *
 * @module
 */

/** Lifetime of the tokens an application receives. */
export type TokenExpiration = '1d' | '1w' | 'never';

/** Every token expiration setting, in the order `--expiration` lists them. */
export const TOKEN_EXPIRATIONS: readonly TokenExpiration[] = ['1d', '1w', 'never'];

/** Token lifetime in seconds per setting (`expires_in`); 0 means the token does not expire. */
export const EXPIRES_IN: Readonly<Record<TokenExpiration, number>> = { '1d': 86400, '1w': 604800, never: 0 };

/** Tells whether `value` is a token expiration setting. */
export function isTokenExpiration(value: string): value is TokenExpiration {
  return (TOKEN_EXPIRATIONS as readonly string[]).includes(value);
}
