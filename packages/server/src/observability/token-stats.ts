/**
 * The token endpoint's counts: answers by outcome and a latency histogram, kept in plain numeric
 * arrays. Recording one answer is two array increments, a short bucket search and an addition,
 * with nothing allocated, so it costs the same whether metrics are served or not; prom-client
 * reads the arrays only when `/metrics` is scraped (registry.ts).
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TOKEN_PATH } from '../contract/paths.js';

/**
 * The `outcome` label values of `smscx_oauth_token_requests_total`: `issued` (200) or the status
 * of the error answer; `other` for a status not listed (none is expected).
 */
export const TOKEN_OUTCOMES = [
  'issued',
  '400',
  '401',
  '403',
  '413',
  '415',
  '429',
  '500',
  '503',
  'other',
] as const;

/** One of {@link TOKEN_OUTCOMES}. */
export type TokenOutcome = (typeof TOKEN_OUTCOMES)[number];

/**
 * Upper bounds (seconds) of the latency histogram's buckets: a token request takes about a
 * millisecond in the process, so the buckets are fine below 10 ms and coarse above.
 */
export const TOKEN_LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

const OTHER = TOKEN_OUTCOMES.length - 1;

/** The index in {@link TOKEN_OUTCOMES} of an answer's status. */
function outcomeIndex(status: number): number {
  switch (status) {
    case 200:
      return 0;
    case 400:
      return 1;
    case 401:
      return 2;
    case 403:
      return 3;
    case 413:
      return 4;
    case 415:
      return 5;
    case 429:
      return 6;
    case 500:
      return 7;
    case 503:
      return 8;
    default:
      return OTHER;
  }
}

/** Counts of one process's `POST /oauth/token` answers, since it started. */
export class TokenRequestStats {
  /** Answers per outcome, in the order of {@link TOKEN_OUTCOMES}. */
  readonly outcomes = new Float64Array(TOKEN_OUTCOMES.length);
  /** Answers per latency bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly buckets = new Float64Array(TOKEN_LATENCY_BUCKETS.length + 1);
  /** Sum of the latencies, in seconds. */
  latencySum = 0;

  /** Counts one answer: its HTTP status and how long it took (ms, as Fastify's `elapsedTime`). */
  record(status: number, elapsedMs: number): void {
    this.outcomes[outcomeIndex(status)]! += 1;
    const seconds = elapsedMs / 1000;
    this.latencySum += seconds;
    let bucket = 0;
    while (bucket < TOKEN_LATENCY_BUCKETS.length && seconds > TOKEN_LATENCY_BUCKETS[bucket]!) bucket += 1;
    this.buckets[bucket]! += 1;
  }

  /** Answers counted so far (every outcome). */
  get count(): number {
    let total = 0;
    for (const count of this.outcomes) total += count;
    return total;
  }
}

/**
 * Counts every answer of `POST /oauth/token` in `stats`, from a route-level `onSend` hook added
 * to that route alone as it is registered (call before the routes are): the route already runs
 * the global `onSend` hook, so this adds a function call, no hook runner and no allocation. Each
 * answer passes `onSend` once, whoever sends it (the authentication hook, the handler, the error
 * handler), with its final status; the latency is Fastify's, from the request's arrival to this
 * moment, when the answer is handed to the socket.
 */
export function registerTokenStats(app: FastifyInstance, stats: TokenRequestStats): void {
  const count = (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: SendDone): void => {
    stats.record(reply.statusCode, reply.elapsedTime);
    done(null, payload);
  };
  app.addHook('onRoute', (route) => {
    const methods: readonly string[] = Array.isArray(route.method) ? route.method : [route.method];
    if (route.url !== TOKEN_PATH || !methods.includes('POST')) return;
    const existing = route.onSend;
    route.onSend =
      existing === undefined ? [count] : [...(Array.isArray(existing) ? existing : [existing]), count];
  });
}

type SendDone = (error: Error | null, payload: unknown) => void;
