/**
 * The Prometheus metrics, with prom-client: a registry per process ({@link createProcessRegistry}:
 * the token endpoint, applications, following changes, database and Redis, connections, and
 * prom-client's process metrics), the cluster primary's own ({@link createPrimaryRegistry}), and
 * their aggregation over the workers ({@link renderAggregated}). Loaded only with
 * `--metrics-port`, so a server without metrics never loads prom-client.
 *
 * The server's own metrics are collectors read at scrape time from what the process keeps anyway
 * (`TokenRequestStats`' arrays, `connectionStats`, the health checks): nothing is updated on the
 * request path for them. Each declares how the primary aggregates it over the workers
 * (prom-client's `aggregator`): counters, the histogram and the connections are summed; the
 * applications, the lag and `changes_behind` take the worst (`max`) and the `*_up` gauges the
 * worst too (`min`: 0 when any worker cannot reach the database or Redis).
 *
 * @module
 */
import { AggregatorRegistry, collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import { connectionStats } from '../http/connections.js';
import type { Observability } from './index.js';
import { TOKEN_LATENCY_BUCKETS, TOKEN_OUTCOMES } from './token-stats.js';

/** Prefix of every metric of the server's own (prom-client's process metrics keep theirs). */
export const METRIC_PREFIX = 'smscx_oauth_';

/** How prom-client aggregates one metric over the workers. */
type Aggregation = 'sum' | 'max' | 'min' | 'first';

/** One sample of a metric, as prom-client's `getMetricsAsJSON` gives it. */
export interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  /** For a histogram's series: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  readonly metricName?: string;
}

/** One metric with its samples, as prom-client's `getMetricsAsJSON` gives it (and IPC carries). */
export interface MetricJson {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: Aggregation | 'omit' | 'average';
  readonly values: readonly Sample[];
}

/**
 * Registers a metric whose samples are computed at scrape time. prom-client's registry reads a
 * metric through `get()` (and its aggregation works on what `get()` returns), so this object is
 * one to it, like the ones prom-client builds itself when it aggregates.
 */
function collector(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  aggregator: Aggregation,
  samples: () => readonly Sample[] | Promise<readonly Sample[]>,
): void {
  const metric = {
    name: METRIC_PREFIX + name,
    help,
    type,
    aggregator,
    get: async (): Promise<MetricJson> => ({
      name: METRIC_PREFIX + name,
      help,
      type,
      aggregator,
      values: await samples(),
    }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

const one = (value: number): readonly Sample[] => [{ value, labels: {} }];

/** This process's registry: what `/metrics` shows of a single process, or of one worker. */
export function createProcessRegistry(observed: Observability): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { tokens, health } = observed;

  collector(
    registry,
    'token_requests_total',
    'POST /oauth/token answers by outcome: issued, or the HTTP status of the error',
    'counter',
    'sum',
    () => TOKEN_OUTCOMES.map((outcome, index) => ({ value: tokens.outcomes[index]!, labels: { outcome } })),
  );
  const histogram = `${METRIC_PREFIX}token_request_duration_seconds`;
  collector(
    registry,
    'token_request_duration_seconds',
    'POST /oauth/token latency in the process, from the request to its answer (every outcome)',
    'histogram',
    'sum',
    () => {
      const samples: Sample[] = [];
      let cumulative = 0;
      TOKEN_LATENCY_BUCKETS.forEach((bound, index) => {
        cumulative += tokens.buckets[index]!;
        samples.push({ value: cumulative, labels: { le: bound }, metricName: `${histogram}_bucket` });
      });
      cumulative += tokens.buckets[TOKEN_LATENCY_BUCKETS.length]!;
      samples.push(
        { value: cumulative, labels: { le: '+Inf' }, metricName: `${histogram}_bucket` },
        { value: tokens.latencySum, labels: {}, metricName: `${histogram}_sum` },
        { value: cumulative, labels: {}, metricName: `${histogram}_count` },
      );
      return samples;
    },
  );
  collector(
    registry,
    'applications',
    'Applications in the in-memory cache (active and disabled)',
    'gauge',
    'max',
    () => one(observed.applications()),
  );
  collector(
    registry,
    'change_lag_seconds',
    'Seconds since the process last knew it had applied every change of the database (normally under the 50 ms poll interval)',
    'gauge',
    'max',
    () => one(health.followLagSeconds()),
  );
  collector(
    registry,
    'changes_behind',
    'Changes in the database change log not applied yet, at the last database probe (absent while the database cannot be read)',
    'gauge',
    'max',
    async () => {
      const behind = await health.changesBehind();
      return behind === undefined ? [] : one(behind);
    },
  );
  collector(
    registry,
    'database_up',
    '1 when a read of the database answers within 1 s, else 0',
    'gauge',
    'min',
    async () => one((await health.readiness()).checks.database === 'ok' ? 1 : 0),
  );
  if (health.checksRedis) {
    collector(
      registry,
      'redis_up',
      '1 when Redis answers a PING within --redis-timeout, else 0',
      'gauge',
      'min',
      async () => one((await health.readiness()).checks.redis === 'ok' ? 1 : 0),
    );
  }
  collector(
    registry,
    'ready',
    '1 when GET /readyz answers 200 (database, following changes, Redis), else 0',
    'gauge',
    'min',
    async () => one((await health.readiness()).ready ? 1 : 0),
  );
  collector(registry, 'connections_open', 'Open client connections', 'gauge', 'sum', () =>
    one(connectionStats.open),
  );
  collector(
    registry,
    'connections_max',
    'The cap of open client connections (--max-connections, per process; summed over the workers)',
    'gauge',
    'sum',
    () => one(connectionStats.max),
  );
  collector(registry, 'connections_accepted_total', 'Client connections accepted', 'counter', 'sum', () =>
    one(connectionStats.accepted),
  );
  collector(
    registry,
    'connections_closed_total',
    'Client connections closed by the server: evicted (idle, for a new one at the cap), refused (at the cap, all busy), timed_out (headers or body too slow), shutdown (busy when the shutdown timeout ran out)',
    'counter',
    'sum',
    () => [
      { value: connectionStats.evicted, labels: { reason: 'evicted' } },
      { value: connectionStats.refused, labels: { reason: 'refused' } },
      { value: connectionStats.timedOut, labels: { reason: 'timed_out' } },
      { value: connectionStats.forcedAtShutdown, labels: { reason: 'shutdown' } },
    ],
  );
  collector(
    registry,
    'connection_accept_errors_total',
    'Connections the operating system could not hand over (accept failed, e.g. out of files)',
    'counter',
    'sum',
    () => one(connectionStats.acceptErrors),
  );
  return registry;
}

/** What the primary of `serve --workers N` reports of itself. */
export interface PrimaryState {
  /** `--workers`. */
  readonly workers: number;
  /** Workers restarted after dying, since the start. */
  restarts(): number;
}

/** The cluster primary's registry: its process metrics and the workers' count and restarts. */
export function createPrimaryRegistry(state: PrimaryState): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  collector(registry, 'workers', 'Worker processes configured (--workers)', 'gauge', 'first', () =>
    one(state.workers),
  );
  collector(registry, 'worker_restarts_total', 'Workers restarted after dying', 'counter', 'sum', () =>
    one(state.restarts()),
  );
  return registry;
}

/** The metric `smscx_oauth_workers_reporting`: how many workers answered this scrape. */
export function workersReporting(count: number): MetricJson {
  return {
    name: `${METRIC_PREFIX}workers_reporting`,
    help: 'Workers whose metrics are in this scrape (fewer than smscx_oauth_workers: one did not answer within 2 s)',
    type: 'gauge',
    aggregator: 'sum',
    values: one(count),
  };
}

/**
 * The Prometheus text of several registries' metrics (`getMetricsAsJSON` of each, e.g. from the
 * workers over IPC) aggregated by prom-client as each metric declares (`AggregatorRegistry`).
 */
export async function renderAggregated(
  metrics: ReadonlyArray<readonly MetricJson[]>,
): Promise<{ contentType: string; body: string }> {
  const aggregated = AggregatorRegistry.aggregate(metrics as unknown as object[]);
  return { contentType: aggregated.contentType, body: await aggregated.metrics() };
}

/** Several sets of metrics aggregated into one (as {@link renderAggregated} does), as JSON. */
export async function aggregateToJson(metrics: ReadonlyArray<readonly MetricJson[]>): Promise<MetricJson[]> {
  const aggregated = AggregatorRegistry.aggregate(metrics as unknown as object[]);
  return (await aggregated.getMetricsAsJSON()) as unknown as MetricJson[];
}

/** The Prometheus text of one registry. */
export async function render(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * A registry's metrics as prom-client's JSON, ready to aggregate or to cross IPC: without the
 * samples JSON cannot hold (NaN, infinities: they would arrive as null, then read as +Inf).
 */
export async function metricsJson(registry: Registry): Promise<MetricJson[]> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
  return metrics.map((metric) => ({
    ...metric,
    values: metric.values.filter((sample) => Number.isFinite(sample.value)),
  }));
}
