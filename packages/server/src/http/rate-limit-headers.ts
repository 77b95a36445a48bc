import type { FastifyReply } from 'fastify';
import type { RateLimitState } from '../limits/index.js';

/**
 * Writes `X-Rate-Limit-Limit`/`-Remaining`, and when `limited` also `X-Rate-Limit-Reset` (Unix
 * seconds) and `Retry-After` (seconds), as the contract's rate-limit headers say.
 */
export function setRateLimitHeaders(
  reply: FastifyReply,
  state: RateLimitState,
  limited: boolean,
  now: number,
): void {
  reply.header('x-rate-limit-limit', state.limit);
  reply.header('x-rate-limit-remaining', state.remaining);
  if (limited) {
    const seconds = Math.max(1, Math.ceil(state.msBeforeReset / 1000));
    reply.header('x-rate-limit-reset', Math.ceil((now + state.msBeforeReset) / 1000));
    reply.header('retry-after', seconds);
  }
}
