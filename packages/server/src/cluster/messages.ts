/**
 * The messages between the primary of `serve --workers N` and its workers, over the IPC
 * channel of node:cluster. Every message carries `smscx` so it cannot be mistaken for
 * Node's own cluster messages.
 *
 * @module
 */
import type { LimiterMessage } from '../limits/index.js';

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
export type ClusterMessage = LimiterMessage | ListeningMessage | ShutdownMessage;

/** Tells whether an IPC message is one of ours, and which. */
export function isClusterMessage<K extends ClusterMessage['smscx']>(
  message: unknown,
  kind: K,
): message is Extract<ClusterMessage, { smscx: K }> {
  return typeof message === 'object' && message !== null && (message as { smscx?: unknown }).smscx === kind;
}
