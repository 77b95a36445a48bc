/**
 * A worker of `serve --workers N`: the same server as a single process, except that the
 * first-start work and the output lines are the primary's, and the rate limits are counted by
 * the primary ({@link ClusterWindowStore}), or in Redis with `--redis`.
 *
 * @module
 */
import type { ServerConfig } from '../config/options.js';
import { ClusterWindowStore } from '../limits/index.js';
import { startServer } from '../server.js';
import type { ListeningMessage } from './messages.js';
import { isClusterMessage } from './messages.js';

/** Runs this process as a cluster worker until the primary (or a signal) says stop. */
export async function runWorker(config: ServerConfig): Promise<void> {
  // Listen for "stop" before anything else: a primary whose other worker failed to start
  // stops this one while it may still be starting.
  let stopRequested = false;
  let stop = (): void => {
    stopRequested = true;
  };
  process.on('message', (message) => {
    if (isClusterMessage(message, 'shutdown')) stop();
  });
  // Ctrl-C reaches every process of the group: a worker then closes as it would when asked.
  process.once('SIGTERM', () => stop());
  process.once('SIGINT', () => stop());

  const localRateLimitStore = new ClusterWindowStore(process as Required<NodeJS.Process>);
  const server = await startServer(config, { role: 'worker', localRateLimitStore });

  let stopping = false;
  stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
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
  process.send?.({ smscx: 'listening', url: server.url } satisfies ListeningMessage);
}
