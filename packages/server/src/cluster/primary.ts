/**
 * The primary of `serve --workers N` (node:cluster): does the first-start work once, forks
 * the workers that share the port, holds the rate-limit counters for all of them (without
 * `--redis`, or while Redis is away), restarts a
 * worker that dies (with a growing delay) and stops them all on SIGTERM/SIGINT.
 *
 * A worker that cannot start (port taken, database or pepper refused) sends its reason; the
 * primary then stops every worker and rejects with that reason, printed once by the command
 * line, which exits 1. A shutdown goes in two steps: every worker stops accepting connections
 * (the shared listening socket closes), and only then do they drain, so a client told
 * `Connection: close` by one worker cannot reconnect into another that is about to go.
 *
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/options.js';
import { ClusterStoreHost } from '../limits/index.js';
import { createLogger } from '../logger.js';
import type { WorkerMetrics } from '../observability/cluster.js';
import type { MetricsListener } from '../observability/listener.js';
import { banner, initializeDatabase } from '../server.js';
import { type DrainMessage, isClusterMessage, type ShutdownMessage } from './messages.js';
import { DRAIN_GO_WAIT_MS } from './worker.js';

/** First delay before restarting a crashed worker; doubles while it keeps crashing quickly. */
export const RESTART_DELAY_MIN_MS = 100;
/** Longest delay between restarts of a worker that crashes over and over. */
export const RESTART_DELAY_MAX_MS = 10_000;
/** A worker that ran this long before dying is restarted after the shortest delay again. */
const STABLE_AFTER_MS = 10_000;
/**
 * On shutdown, how long after their own drain (`--shutdown-timeout`) and wait for the go to
 * drain the workers get before they are killed.
 */
const SHUTDOWN_KILL_MARGIN_MS = 5_000;
/** When a worker could not start: how long the others get to stop before they are killed. */
const FAILED_START_STOP_MS = 3_000;

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
  /** Why its last worker could not start (its `failed` message), for the restart line. */
  lastFailure: string | undefined;
  /** Its worker said it stopped accepting connections. */
  stoppedAccepting: boolean;
  /** Its worker said it listens (and so answers metrics requests). */
  listening: boolean;
}

/**
 * Runs the cluster primary; resolves once every worker listens (the `listening on` line is
 * printed then, once). Rejects, once every worker is gone, when a worker could not start: with
 * the reason the worker sent, or how it exited.
 */
export async function runPrimary(config: ServerConfig, options: PrimaryOptions = {}): Promise<void> {
  const out = options.out ?? process.stdout;
  const logger = options.logger ?? createLogger(config.logLevel);
  const created = await initializeDatabase(config);
  // The metrics listener first: a port it cannot take fails the start before any worker exists.
  let restarts = 0;
  const metrics =
    config.metrics === undefined
      ? undefined
      : await listenForClusterMetrics(config, logger, {
          workers: config.workers,
          restarts: () => restarts,
          listeningWorkers: () => liveWorkers().filter((worker) => slotOf(worker)?.listening === true),
        });

  // Also with --redis: the workers count here while Redis is unreachable.
  const limits = new ClusterStoreHost(config.rateLimit, config.authFailureLimit, () => liveWorkers());
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({
    index,
    worker: undefined,
    startedAt: 0,
    restartDelayMs: RESTART_DELAY_MIN_MS,
    restartTimer: undefined,
    lastFailure: undefined,
    stoppedAccepting: false,
    listening: false,
  }));
  let ready = false;
  let stopping = false;
  /** During a shutdown: the workers that have not said yet that they stopped accepting. */
  let stillAccepting: Set<Worker> | undefined;
  let drainSent = false;

  function liveWorkers(): Worker[] {
    return slots.flatMap((slot) => (slot.worker === undefined ? [] : [slot.worker]));
  }
  const slotOf = (worker: Worker): Slot | undefined => slots.find((slot) => slot.worker === worker);

  let listeningCount = 0;
  let onListening: (url: string) => void = () => undefined;
  let onFailedStart: (error: Error) => void = () => undefined;
  const listening = new Promise<string>((resolve, reject) => {
    onListening = resolve;
    onFailedStart = reject;
  });

  const sendDrain = (worker: Worker): void => {
    if (worker.isConnected()) worker.send({ smscx: 'drain' } satisfies DrainMessage);
  };
  /** Once no worker accepts connections any more, every worker may drain. */
  const drainWhenNoneAccepts = (): void => {
    if (stillAccepting === undefined || stillAccepting.size > 0 || drainSent) return;
    drainSent = true;
    for (const worker of liveWorkers()) sendDrain(worker);
  };

  const onMessage = (worker: Worker, message: unknown): void => {
    limits.handle(worker, message);
    metrics?.workers.handle(message);
    if (isClusterMessage(message, 'listening')) {
      const slot = slotOf(worker);
      if (slot !== undefined) slot.listening = true;
      listeningCount += 1;
      if (!ready && listeningCount === slots.length) onListening(message.url);
    } else if (isClusterMessage(message, 'failed')) {
      if (!ready) onFailedStart(Object.assign(new Error(message.message), { code: message.code }));
      const slot = slotOf(worker);
      if (slot !== undefined) slot.lastFailure = message.message;
    } else if (isClusterMessage(message, 'stopped-accepting')) {
      const slot = slotOf(worker);
      if (slot !== undefined) slot.stoppedAccepting = true;
      // A worker stopping on a signal of its own, outside a shutdown of all: it may drain now.
      if (stillAccepting === undefined) sendDrain(worker);
      else if (drainSent) sendDrain(worker);
      else {
        stillAccepting.delete(worker);
        drainWhenNoneAccepts();
      }
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const slot = slotOf(worker);
    if (slot === undefined) return;
    slot.worker = undefined;
    metrics?.workers.retire(worker);
    if (stillAccepting?.delete(worker) === true) drainWhenNoneAccepts();
    if (stopping) return;
    if (!ready) {
      // Its `failed` message, if it sent one, is read before its channel closes: that reason wins.
      const fail = (): void =>
        onFailedStart(new Error(`a worker exited during startup (code ${code}, signal ${signal})`));
      if (worker.isConnected()) worker.once('disconnect', fail);
      else fail();
      return;
    }
    scheduleRestart(slot, code, signal);
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);

  const fork = (slot: Slot): Worker => {
    const worker = cluster.fork();
    worker.on('error', (error: Error) =>
      logger.warn({ err: error, worker: slot.index }, 'worker channel error'),
    );
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.lastFailure = undefined;
    slot.stoppedAccepting = false;
    slot.listening = false;
    return worker;
  };
  for (const slot of slots) fork(slot);

  const scheduleRestart = (slot: Slot, code: number | null, signal: string | null): void => {
    const livedMs = Date.now() - slot.startedAt;
    if (livedMs >= STABLE_AFTER_MS) slot.restartDelayMs = RESTART_DELAY_MIN_MS;
    const delayMs = slot.restartDelayMs;
    slot.restartDelayMs = Math.min(slot.restartDelayMs * 2, RESTART_DELAY_MAX_MS);
    logger.error(
      { worker: slot.index, code, signal, restartInMs: delayMs, reason: slot.lastFailure },
      'worker died; restarting it',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (stopping) return;
      restarts += 1;
      fork(slot);
    }, delayMs);
  };

  /** Resolves once every given worker has exited; with whether each exited 0. */
  const exitsOf = (workers: Worker[]): Promise<boolean[]> =>
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<boolean>((resolve) => {
            if (worker.isDead()) {
              resolve(worker.process.exitCode === 0);
              return;
            }
            worker.once('exit', (code) => resolve(code === 0));
          }),
      ),
    );
  const killAfter = (workers: Worker[], ms: number, why: string): NodeJS.Timeout =>
    setTimeout(() => {
      logger.error(why);
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, ms);

  const shutdown = async (): Promise<number> => {
    stopping = true;
    for (const slot of slots) if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    const workers = liveWorkers();
    const exits = exitsOf(workers);
    stillAccepting = new Set(
      workers.filter((worker) => worker.isConnected() && slotOf(worker)?.stoppedAccepting !== true),
    );
    for (const worker of workers) {
      if (worker.isConnected()) worker.send({ smscx: 'shutdown' } satisfies ShutdownMessage);
    }
    drainWhenNoneAccepts();
    const killer = killAfter(
      workers,
      config.shutdownTimeoutMs + DRAIN_GO_WAIT_MS + SHUTDOWN_KILL_MARGIN_MS,
      'workers did not stop in time; killing them',
    );
    const clean = await exits;
    clearTimeout(killer);
    await metrics?.listener.close();
    return clean.every(Boolean) ? 0 : 1;
  };

  let shuttingDown: Promise<number> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    shuttingDown ??= shutdown();
    void shuttingDown.then((code) => process.exit(code));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let url: string;
  try {
    url = await listening;
  } catch (error) {
    // Every worker goes: SIGTERM drains one that listens and stops one still starting once it
    // started (or failed); one that takes too long is killed. Then nothing keeps the process.
    stopping = true;
    for (const slot of slots) if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
    const workers = liveWorkers();
    const exits = exitsOf(workers);
    for (const worker of workers) worker.process.kill('SIGTERM');
    const killer = killAfter(
      workers,
      FAILED_START_STOP_MS,
      'workers did not stop after a failed start; killing them',
    );
    await exits;
    clearTimeout(killer);
    await metrics?.listener.close();
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    throw error;
  }
  ready = true;
  // Only now announce readiness: whoever waits for this line may signal us right away.
  if (created !== undefined) out.write(banner(created, url, out));
  if (metrics !== undefined) out.write(`metrics on ${metrics.listener.url}\n`);
  out.write(`listening on ${url}\n`);
}

/** What the primary's metrics listener reads. */
interface ClusterState {
  readonly workers: number;
  restarts(): number;
  /** The workers that listen, so answer metrics requests. */
  listeningWorkers(): Worker[];
}

/**
 * The metrics listener of the cluster: each scrape aggregates the primary's own registry (its
 * process, the workers' count and restarts) with every listening worker's, asked over IPC
 * (observability/cluster.ts). prom-client is loaded here, so only with `--metrics-port`.
 */
async function listenForClusterMetrics(
  config: ServerConfig,
  logger: Logger,
  state: ClusterState,
): Promise<{ workers: WorkerMetrics; listener: MetricsListener }> {
  const { createPrimaryRegistry, metricsJson, renderAggregated, workersReporting } = await import(
    '../observability/registry.js'
  );
  const { WorkerMetrics } = await import('../observability/cluster.js');
  const { listenForMetrics } = await import('../observability/listener.js');
  const own = createPrimaryRegistry(state);
  const workers = new WorkerMetrics();
  const { host, port } = config.metrics!;
  const listener = await listenForMetrics(
    host,
    port,
    async () => {
      const [mine, theirs] = await Promise.all([metricsJson(own), workers.collect(state.listeningWorkers())]);
      return renderAggregated([mine, ...theirs.metrics, [workersReporting(theirs.answered)]]);
    },
    logger,
  );
  return { workers, listener };
}
