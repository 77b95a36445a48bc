import type { FastifyReply } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitSetting } from '../config.js';

/** What the rate-limit headers report. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window resets. */
  readonly msBeforeReset: number;
}

/** Writes `X-Rate-Limit-Limit`/`-Remaining`, and on 429 `X-Rate-Limit-Reset` and `Retry-After`. */
export function setRateLimitHeaders(reply: FastifyReply, state: RateLimitState, limited: boolean): void {
  reply.header('x-rate-limit-limit', state.limit);
  reply.header('x-rate-limit-remaining', state.remaining);
  if (limited) {
    const seconds = Math.max(1, Math.ceil(state.msBeforeReset / 1000));
    reply.header('x-rate-limit-reset', Math.ceil((Date.now() + state.msBeforeReset) / 1000));
    reply.header('retry-after', seconds);
  }
}

function stateOf(limit: number, result: RateLimiterRes | null): RateLimitState {
  if (result === null) return { limit, remaining: limit, msBeforeReset: 0 };
  return {
    limit,
    remaining: Math.max(0, limit - result.consumedPoints),
    msBeforeReset: Math.max(0, result.msBeforeNext),
  };
}

/**
 * The two limiters of the token endpoint: failed authentications per client IP (checked
 * before authentication) and token requests per application (checked after it).
 * In memory today (`RateLimiterMemory`); a Redis limiter can replace it for several processes.
 */
export class TokenRateLimits {
  private readonly authFailures: RateLimiterMemory;
  private readonly requests: RateLimiterMemory;
  private readonly authFailureLimit: number;
  private readonly requestLimit: number;
  // IPs whose failure budget is spent, with when it resets: checked synchronously on every
  // request so an attacker's requests are refused before any hashing.
  private readonly blocked = new Map<string, number>();

  constructor(requests: RateLimitSetting, authFailures: RateLimitSetting) {
    this.requests = new RateLimiterMemory({ points: requests.points, duration: requests.durationSeconds });
    this.authFailures = new RateLimiterMemory({
      points: authFailures.points,
      duration: authFailures.durationSeconds,
    });
    this.requestLimit = requests.points;
    this.authFailureLimit = authFailures.points;
  }

  /** Returns the failure-budget state when `ip` is blocked, else undefined. */
  blockedState(ip: string, now: number = Date.now()): RateLimitState | undefined {
    const until = this.blocked.get(ip);
    if (until === undefined) return undefined;
    if (until <= now) {
      this.blocked.delete(ip);
      return undefined;
    }
    return { limit: this.authFailureLimit, remaining: 0, msBeforeReset: until - now };
  }

  /** Counts one failed authentication from `ip`; blocks the IP when its budget is spent. */
  async recordAuthFailure(ip: string): Promise<RateLimitState> {
    let result: RateLimiterRes;
    try {
      result = await this.authFailures.consume(ip);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      result = rejection;
    }
    const state = stateOf(this.authFailureLimit, result);
    if (state.remaining === 0) {
      if (this.blocked.size > 100_000) this.sweep();
      this.blocked.set(ip, Date.now() + state.msBeforeReset);
    }
    return state;
  }

  /** The failure budget of `ip` without spending any. */
  async authFailureState(ip: string): Promise<RateLimitState> {
    return stateOf(this.authFailureLimit, await this.authFailures.get(ip));
  }

  /** Spends one token request of `applicationId`; `limited` when over the limit. */
  async consumeRequest(applicationId: string): Promise<{ state: RateLimitState; limited: boolean }> {
    try {
      const result = await this.requests.consume(applicationId);
      return { state: stateOf(this.requestLimit, result), limited: false };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { state: stateOf(this.requestLimit, rejection), limited: true };
    }
  }

  /** The request budget of `applicationId` without spending any. */
  async requestState(applicationId: string): Promise<RateLimitState> {
    return stateOf(this.requestLimit, await this.requests.get(applicationId));
  }

  private sweep(): void {
    const now = Date.now();
    for (const [ip, until] of this.blocked) if (until <= now) this.blocked.delete(ip);
  }
}
