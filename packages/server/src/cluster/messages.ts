/**
 * The messages between the primary of `serve --workers N` and its workers, over the IPC
 * channel of node:cluster. Every message carries `smscx` so it cannot be mistaken for
 * Node's own cluster messages.
 *
 * @module
 */
import type { RateLimitState, RequestBudget } from '../limits/rate-limits.js';

/** A limiter operation a worker asks the primary to run. */
export type LimiterOperation =
  | 'recordAuthFailure'
  | 'authFailureState'
  | 'consumeRequest'
  | 'requestState'
  /** The IPs blocked right now (key unused): a starting worker missed their broadcasts. */
  | 'blockedEntries';

/** What a limiter call answers. */
export type LimiterAnswer =
  | RateLimitState
  | RequestBudget
  | readonly (readonly [ip: string, until: number])[];

/** One limiter call: `[call id, operation, key]` (the key is an IP or an Application ID). */
export type LimiterCall = readonly [id: number, operation: LimiterOperation, key: string];

/** One limiter answer: `[call id, result]`. */
export type LimiterResult = readonly [id: number, result: LimiterAnswer];

/** Worker → primary: the limiter calls of one event-loop turn, batched. */
export interface LimiterCallsMessage {
  readonly smscx: 'limiter-calls';
  readonly calls: readonly LimiterCall[];
}

/** Primary → worker: the answers to one {@link LimiterCallsMessage}. */
export interface LimiterResultsMessage {
  readonly smscx: 'limiter-results';
  readonly results: readonly LimiterResult[];
}

/** Primary → every worker: `ip` spent its failed-authentication budget until `until` (epoch ms). */
export interface IpBlockedMessage {
  readonly smscx: 'ip-blocked';
  readonly ip: string;
  readonly until: number;
}

/** Worker → primary: the worker listens (and this is the server's base URL). */
export interface ListeningMessage {
  readonly smscx: 'listening';
  readonly url: string;
}

/** Primary → worker: stop accepting, finish the requests in flight, close the database, exit 0. */
export interface ShutdownMessage {
  readonly smscx: 'shutdown';
}

/** Any message of this protocol. */
export type ClusterMessage =
  | LimiterCallsMessage
  | LimiterResultsMessage
  | IpBlockedMessage
  | ListeningMessage
  | ShutdownMessage;

/** Tells whether an IPC message is one of ours, and which. */
export function isClusterMessage<K extends ClusterMessage['smscx']>(
  message: unknown,
  kind: K,
): message is Extract<ClusterMessage, { smscx: K }> {
  return typeof message === 'object' && message !== null && (message as { smscx?: unknown }).smscx === kind;
}
