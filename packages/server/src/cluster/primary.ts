/**
 * The primary of `serve --workers N` (node:cluster): does the first-start work once, forks
 * the workers that share the port, holds the rate-limit counters for all of them (without
 * `--redis`, or while Redis is away), restarts a
 * worker that dies (with a growing delay) and stops them all on SIGTERM/SIGINT.
 *
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/options.js';
import { ClusterStoreHost } from '../limits/index.js';
import { createLogger } from '../logger.js';
import { banner, initializeDatabase } from '../server.js';
import { isClusterMessage } from './messages.js';

/** First delay before restarting a crashed worker; doubles while it keeps crashing quickly. */
export const RESTART_DELAY_MIN_MS = 100;
/** Longest delay between restarts of a worker that crashes over and over. */
export const RESTART_DELAY_MAX_MS = 10_000;
/** A worker that ran this long before dying is restarted after the shortest delay again. */
const STABLE_AFTER_MS = 10_000;
/** How long workers get to finish their requests on shutdown before they are killed. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/** Options of {@link runPrimary}. */
export interface PrimaryOptions {
  /** Where the banner and the `listening on` line go. Default `process.stdout`. */
  readonly out?: NodeJS.WritableStream;
  readonly logger?: Logger;
}

/** One worker slot: which process fills it and how fast it has been crashing. */
interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  startedAt: number;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs the cluster primary; resolves once every worker listens (the `listening on` line is
 * printed then, once). Rejects when a worker dies before the cluster first became ready.
 */
export async function runPrimary(config: ServerConfig, options: PrimaryOptions = {}): Promise<void> {
  const out = options.out ?? process.stdout;
  const logger = options.logger ?? createLogger(config.logLevel);
  const created = await initializeDatabase(config);

  // Also with --redis: the workers count here while Redis is unreachable.
  const limits = new ClusterStoreHost(config.rateLimit, config.authFailureLimit, () => liveWorkers());
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({
    index,
    worker: undefined,
    startedAt: 0,
    restartDelayMs: RESTART_DELAY_MIN_MS,
    restartTimer: undefined,
  }));
  let ready = false;
  let stopping = false;

  function liveWorkers(): Worker[] {
    return slots.flatMap((slot) => (slot.worker === undefined ? [] : [slot.worker]));
  }

  cluster.on('message', (worker, message) => {
    limits.handle(worker, message);
  });

  const fork = (slot: Slot): Worker => {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAt = Date.now();
    return worker;
  };

  const listening = new Promise<string>((resolve, reject) => {
    let count = 0;
    for (const slot of slots) {
      const worker = fork(slot);
      worker.on('message', (message) => {
        if (!isClusterMessage(message, 'listening') || ready) return;
        count += 1;
        if (count === slots.length) resolve(message.url);
      });
    }
    cluster.on('exit', (worker, code, signal) => {
      const slot = slots.find((candidate) => candidate.worker === worker);
      if (slot === undefined) return;
      slot.worker = undefined;
      if (stopping) return;
      if (!ready) {
        // A worker that cannot even start (bad database, port taken) would only crash again.
        reject(new Error(`a worker exited during startup (code ${code}, signal ${signal})`));
        return;
      }
      scheduleRestart(slot, code, signal);
    });
  });

  const scheduleRestart = (slot: Slot, code: number | null, signal: string | null): void => {
    const livedMs = Date.now() - slot.startedAt;
    if (livedMs >= STABLE_AFTER_MS) slot.restartDelayMs = RESTART_DELAY_MIN_MS;
    const delayMs = slot.restartDelayMs;
    slot.restartDelayMs = Math.min(slot.restartDelayMs * 2, RESTART_DELAY_MAX_MS);
    logger.error({ worker: slot.index, code, signal, restartInMs: delayMs }, 'worker died; restarting it');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!stopping) fork(slot);
    }, delayMs);
  };

  const shutdown = async (): Promise<number> => {
    stopping = true;
    for (const slot of slots) if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    const workers = liveWorkers();
    const exits = workers.map(
      (worker) =>
        new Promise<boolean>((resolve) => {
          if (worker.isDead()) {
            resolve(worker.process.exitCode === 0);
            return;
          }
          worker.once('exit', (code) => resolve(code === 0));
        }),
    );
    for (const worker of workers) {
      if (worker.isConnected()) worker.send({ smscx: 'shutdown' });
    }
    const killer = setTimeout(() => {
      logger.error('workers did not stop in time; killing them');
      for (const worker of liveWorkers()) worker.process.kill('SIGKILL');
    }, SHUTDOWN_TIMEOUT_MS);
    const clean = await Promise.all(exits);
    clearTimeout(killer);
    return clean.every(Boolean) ? 0 : 1;
  };

  let shuttingDown: Promise<number> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    shuttingDown ??= shutdown();
    void shuttingDown.then((code) => process.exit(code));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let url: string;
  try {
    url = await listening;
  } catch (error) {
    // Workers that did start are stopped (SIGTERM closes them, or ends one still starting).
    stopping = true;
    for (const worker of liveWorkers()) worker.process.kill('SIGTERM');
    throw error;
  }
  ready = true;
  // Only now announce readiness: whoever waits for this line may signal us right away.
  if (created !== undefined) out.write(banner(created, url));
  out.write(`listening on ${url}\n`);
}
