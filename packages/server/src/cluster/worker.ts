/**
 * A worker of `serve --workers N`: the same server as a single process, except that the
 * first-start work and the output lines are the primary's, and the rate limits are counted by
 * the primary ({@link ClusterWindowStore}), or in Redis with `--redis`.
 *
 * A worker that cannot start prints nothing: it sends the reason to the primary (which prints
 * one line and stops everything) and exits 1. On shutdown it stops accepting connections, tells
 * the primary, and drains once the primary says every worker stopped accepting.
 *
 * @module
 */
import type { ServerConfig } from '../config/options.js';
import { ClusterWindowStore } from '../limits/index.js';
import { type RunningServer, startServer } from '../server.js';
import type { FailedMessage, ListeningMessage, StoppedAcceptingMessage } from './messages.js';
import { isClusterMessage } from './messages.js';

/**
 * How long a stopping worker waits for the primary's go to drain (normally: until the other
 * workers stopped accepting, milliseconds); it drains anyway after that.
 */
export const DRAIN_GO_WAIT_MS = 2000;

/** Runs this process as a cluster worker until the primary (or a signal) says stop. */
export async function runWorker(config: ServerConfig): Promise<void> {
  // Listen for "stop" and "drain" before anything else: a primary whose other worker failed to
  // start stops this one while it may still be starting.
  let stopRequested = false;
  let stop = (): void => {
    stopRequested = true;
  };
  let drainGo = false;
  let onDrainGo = (): void => {
    drainGo = true;
  };
  process.on('message', (message) => {
    if (isClusterMessage(message, 'shutdown')) stop();
    else if (isClusterMessage(message, 'drain')) onDrainGo();
  });
  // Ctrl-C reaches every process of the group: a worker then closes as it would when asked.
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());

  const localRateLimitStore = new ClusterWindowStore(process as Required<NodeJS.Process>);
  let server: RunningServer;
  try {
    server = await startServer(config, { role: 'worker', localRateLimitStore });
  } catch (error) {
    await reportFailedStart(error);
    return;
  }
  // Before saying it listens: the primary asks a listening worker for its metrics.
  if (server.metrics !== undefined) {
    const { answerMetricsRequests } = await import('../observability/cluster.js');
    answerMetricsRequests(process, server.metrics);
  }

  let stopping = false;
  stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.stopAccepting();
    const go = new Promise<void>((resolve) => {
      if (drainGo || process.connected !== true) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, DRAIN_GO_WAIT_MS);
      onDrainGo = () => {
        clearTimeout(timer);
        resolve();
      };
      process.once('disconnect', onDrainGo);
      send({ smscx: 'stopped-accepting' } satisfies StoppedAcceptingMessage);
    });
    go.then(() => server.close()).then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  if (stopRequested) {
    stop();
    return;
  }
  send({ smscx: 'listening', url: server.url } satisfies ListeningMessage);
}

/**
 * A start that failed: the reason goes to the primary, which prints it once for all workers
 * (a worker that printed it too would repeat it N times); then this worker exits 1.
 */
async function reportFailedStart(error: unknown): Promise<never> {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const delivered =
    process.connected === true &&
    (await new Promise<boolean>((resolve) => {
      process.send?.(
        { smscx: 'failed', message, ...(typeof code === 'string' ? { code } : {}) } satisfies FailedMessage,
        (sendError: Error | null) => resolve(sendError === null),
      );
    }));
  // Without a primary to say it, say it here.
  if (!delivered) process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

/** Sends a message to the primary, if it still listens. */
function send(message: ListeningMessage | StoppedAcceptingMessage): void {
  if (process.connected === true) process.send?.(message);
}
