/**
 * The messages between the primary of `serve --workers N` and its workers, over the IPC
 * channel of node:cluster. Every message carries `smscx` so it cannot be mistaken for
 * Node's own cluster messages.
 *
 * @module
 */
import type { LimiterMessage } from '../limits/index.js';
import type { MetricsMessage } from '../observability/cluster.js';

/** Worker → primary: the worker listens (and this is the server's base URL). */
export interface ListeningMessage {
  readonly smscx: 'listening';
  readonly url: string;
}

/** Worker → primary: the worker could not start; `message` is the one line to print. */
export interface FailedMessage {
  readonly smscx: 'failed';
  readonly message: string;
  /** The error's `code` (`SQLITE_NOTADB`, ...), if it had one. */
  readonly code?: string;
}

/**
 * Primary → worker: shut down. The worker stops accepting connections, says so
 * ({@link StoppedAcceptingMessage}), and drains once told to ({@link DrainMessage}).
 */
export interface ShutdownMessage {
  readonly smscx: 'shutdown';
}

/**
 * Worker → primary: this worker no longer accepts connections (also after a signal of its own).
 * Sent after the worker left the shared listening socket, so by the time the primary reads it,
 * it has read that too.
 */
export interface StoppedAcceptingMessage {
  readonly smscx: 'stopped-accepting';
}

/**
 * Primary → worker: no worker accepts connections any more (the shared socket is closed), so
 * a client told `Connection: close` cannot reconnect into a worker about to go: drain (answer
 * the requests in flight with `Connection: close`, close idle connections), close the database
 * and exit 0.
 */
export interface DrainMessage {
  readonly smscx: 'drain';
}

/** Any message of this protocol. */
export type ClusterMessage =
  | LimiterMessage
  | MetricsMessage
  | ListeningMessage
  | FailedMessage
  | ShutdownMessage
  | StoppedAcceptingMessage
  | DrainMessage;

/** Tells whether an IPC message is one of ours, and which. */
export function isClusterMessage<K extends ClusterMessage['smscx']>(
  message: unknown,
  kind: K,
): message is Extract<ClusterMessage, { smscx: K }> {
  return typeof message === 'object' && message !== null && (message as { smscx?: unknown }).smscx === kind;
}
