/**
 * Metrics over the workers of `serve --workers N`, on the cluster's IPC channel: the primary
 * asks every worker that listens for its registry's metrics ({@link MetricsRequestMessage}),
 * each answers with prom-client's JSON of them ({@link MetricsReplyMessage}), and the primary
 * aggregates those with its own (registry.ts). A worker that does not answer within
 * {@link WORKER_METRICS_TIMEOUT_MS} is left out of that scrape (`smscx_oauth_workers_reporting`
 * says so) rather than failing it.
 *
 * A worker that dies takes its counts with it, and its replacement starts from zero: the sums
 * would go down, which Prometheus reads as a counter reset, a spurious jump in `rate()`. So the
 * primary keeps the counters and histograms of the last scrape of each worker that exited and
 * adds them to every later scrape: the sums never go down (the few answers a worker counted
 * after its last scrape are lost, a gap rather than a jump).
 *
 * @module
 */
import type { Registry } from 'prom-client';
import { aggregateToJson, type MetricJson, metricsJson } from './registry.js';

/** How long the primary waits for a worker's metrics during a scrape. */
export const WORKER_METRICS_TIMEOUT_MS = 2000;

/** Primary → worker: send your metrics. */
export interface MetricsRequestMessage {
  readonly smscx: 'metrics-request';
  readonly id: number;
}

/** Worker → primary: the metrics of request `id` (or why there are none). */
export interface MetricsReplyMessage {
  readonly smscx: 'metrics-reply';
  readonly id: number;
  readonly metrics?: MetricJson[];
  readonly error?: string;
}

/** The messages of this file. */
export type MetricsMessage = MetricsRequestMessage | MetricsReplyMessage;

function isMessage<K extends MetricsMessage['smscx']>(
  message: unknown,
  kind: K,
): message is Extract<MetricsMessage, { smscx: K }> {
  return typeof message === 'object' && message !== null && (message as { smscx?: unknown }).smscx === kind;
}

/** A worker as the primary sees it (node:cluster's `Worker`). */
export interface MetricsWorker {
  isConnected(): boolean;
  send(message: MetricsRequestMessage): boolean;
}

/** The primary's side: asks the workers, gathers their answers, keeps the counts of dead ones. */
export class WorkerMetrics {
  private nextId = 0;
  private readonly pending = new Map<number, (metrics: MetricJson[] | undefined) => void>();
  /** Each live worker's metrics at its last scrape. */
  private readonly last = new Map<MetricsWorker, MetricJson[]>();
  /** Counters and histograms of the workers that exited (see the module comment). */
  private retired: MetricJson[][] = [];

  /** Takes a worker's message if it is a metrics reply. */
  handle(message: unknown): void {
    if (!isMessage(message, 'metrics-reply')) return;
    const resolve = this.pending.get(message.id);
    if (resolve === undefined) return;
    this.pending.delete(message.id);
    resolve(message.error === undefined ? message.metrics : undefined);
  }

  /** A worker exited: its counts at its last scrape are kept. */
  retire(worker: MetricsWorker): void {
    const last = this.last.get(worker);
    this.last.delete(worker);
    if (last === undefined) return;
    this.retired.push(last.filter((metric) => metric.type === 'counter' || metric.type === 'histogram'));
  }

  /**
   * The metrics of each of `workers` that answers in time, plus those kept of dead workers;
   * with how many workers answered.
   */
  async collect(workers: readonly MetricsWorker[]): Promise<{ metrics: MetricJson[][]; answered: number }> {
    const answers = await Promise.all(workers.map((worker) => this.ask(worker)));
    // Folded into one set now and then, so a worker dying over and over grows nothing.
    if (this.retired.length > 1) this.retired = [await aggregateToJson(this.retired)];
    const metrics: MetricJson[][] = [...this.retired];
    let answered = 0;
    answers.forEach((answer, index) => {
      if (answer === undefined) return;
      answered += 1;
      this.last.set(workers[index]!, answer);
      metrics.push(answer);
    });
    return { metrics, answered };
  }

  private ask(worker: MetricsWorker): Promise<MetricJson[] | undefined> {
    if (!worker.isConnected()) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, WORKER_METRICS_TIMEOUT_MS);
      this.pending.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      try {
        worker.send({ smscx: 'metrics-request', id } satisfies MetricsRequestMessage);
      } catch {
        // The channel closed meanwhile: this worker is left out.
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(undefined);
      }
    });
  }
}

/** The IPC channel of a worker to its primary (`process` in a cluster worker). */
export interface PrimaryChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  send?(message: MetricsReplyMessage): boolean;
  readonly connected?: boolean;
}

/** The worker's side: answers the primary's metrics requests from `registry`. */
export function answerMetricsRequests(channel: PrimaryChannel, registry: Registry): void {
  channel.on('message', (message) => {
    if (!isMessage(message, 'metrics-request')) return;
    const { id } = message;
    const reply = (answer: MetricsReplyMessage): void => {
      if (channel.connected === true) channel.send?.(answer);
    };
    metricsJson(registry).then(
      (metrics) => reply({ smscx: 'metrics-reply', id, metrics }),
      (error: unknown) => reply({ smscx: 'metrics-reply', id, error: String(error) }),
    );
  });
}
