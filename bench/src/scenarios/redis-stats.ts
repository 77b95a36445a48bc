// What the Redis scenario reads from Redis itself: `INFO` snapshots around a measured run (commands
// per command, read events, CPU), their differences divided by the operations served, and the
// housekeeping of this run's keys (SCAN + DEL by prefix).
//
// Redis 7.0 counts a script's run (`evalsha`) and every command the script calls (`incr`, `pttl`)
// alike in `INFO commandstats` and in `total_commands_processed`: the commands the client sent are
// told apart by the scripts' own source (`redis.call('…')`), see `scriptCalls`.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import type { RedisCounters, RedisDelta, RedisFigures } from '../results.js';
import { REPO_DIR } from '../targets/common.js';
import { redact } from './postgres.js';

export type { RedisClient };

/** A snapshot of `INFO commandstats stats cpu clients`. */
export interface RedisSnapshot extends RedisCounters {
  /** When it was taken (`performance.now()`, ms): only differences of it mean anything. */
  at: number;
}

/** Commands that run a script: the client sent them; what the script calls ran inside Redis. */
const SCRIPT_RUNS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * ioredis as the server package resolves it: the client the server ships with (the bench declares no
 * Redis client of its own, as for PostgreSQL's driver).
 */
export function redisConstructor(): new (url: string, options?: RedisOptions) => RedisClient {
  const require = createRequire(join(REPO_DIR, 'packages', 'server', 'package.json'));
  return (require('ioredis') as typeof import('ioredis')).Redis;
}

/** A connected client for INFO, SCAN, DEL: no auto-pipelining, fails fast when Redis is away. */
export async function connectAdmin(url: string): Promise<RedisClient> {
  const Redis = redisConstructor();
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  // ioredis reports why a connection failed as an error event; connect() only says it closed.
  let why = '';
  client.on('error', (err: Error) => {
    why ||= err.message;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`Redis is not reachable at ${redact(url)}: ${why || (err as Error).message}`);
  }
  return client;
}

/** Parses the lines of `INFO` into a snapshot. */
export function parseInfo(text: string, at = performance.now()): RedisSnapshot {
  const calls: Record<string, number> = {};
  const usec: Record<string, number> = {};
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    if (colon < 0 || line.startsWith('#')) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key.startsWith('cmdstat_')) {
      const name = key.slice('cmdstat_'.length).toLowerCase();
      calls[name] = Number(/(?:^|,)calls=(\d+)/.exec(value)?.[1] ?? 0);
      usec[name] = Number(/(?:^|,)usec=(\d+)/.exec(value)?.[1] ?? 0);
    } else {
      fields.set(key, value);
    }
  }
  const field = (name: string) => Number(fields.get(name) ?? Number.NaN);
  return {
    calls,
    usec,
    reads: field('total_reads_processed'),
    cpuSeconds: field('used_cpu_user') + field('used_cpu_sys'),
    clients: field('connected_clients'),
    at,
  };
}

/** One INFO call (so exactly one `info` of ours lands in the next snapshot's counts). */
export async function snapshot(admin: RedisClient): Promise<RedisSnapshot> {
  const text = (await admin.call('INFO', 'commandstats', 'stats', 'cpu', 'clients')) as string;
  return parseInfo(text);
}

/** The Redis server's version (`INFO server`). */
export async function redisVersion(admin: RedisClient): Promise<string | undefined> {
  const text = (await admin.call('INFO', 'server')) as string;
  return /^redis_version:(\S+)/m.exec(text)?.[1];
}

/**
 * What happened between two snapshots, without the bench's own `INFO` (the `before` one is counted
 * in `after`: Redis updates a command's stats once it has answered).
 */
export function delta(before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
  const calls: Record<string, number> = {};
  const usec: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.calls)) {
    const d = n - (before.calls[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (d > 0) {
      calls[name] = d;
      usec[name] = (after.usec[name] ?? 0) - (before.usec[name] ?? 0);
    }
  }
  return {
    calls,
    usec,
    reads: Math.max(0, after.reads - before.reads - 1),
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    clients: after.clients,
    wallS: (after.at - before.at) / 1000,
  };
}

/** The commands a Lua script calls (`redis.call('INCR', …)`, `redis.pcall(…)`), lower case. */
export function scriptCalls(...sources: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const source of sources) {
    for (const match of source.matchAll(/redis\.p?call\(\s*['"]([A-Za-z_]+)['"]/g))
      names.add(match[1]!.toLowerCase());
  }
  return names;
}

/**
 * Sums `deltas` and divides by `ops`. The commands the client sent are all of them but those the
 * scripts of the run call (`inScripts`), when it ran scripts at all. `busyS` is the time Redis was
 * loaded (the measured runs' own durations), for its CPU %.
 */
export function figures(
  deltas: readonly RedisDelta[],
  ops: number,
  inScripts: ReadonlySet<string>,
  busyS: number,
): RedisFigures {
  const calls: Record<string, number> = {};
  const usec: Record<string, number> = {};
  let reads = 0;
  let cpuSeconds = 0;
  for (const d of deltas) {
    for (const [name, n] of Object.entries(d.calls)) calls[name] = (calls[name] ?? 0) + n;
    for (const [name, n] of Object.entries(d.usec)) usec[name] = (usec[name] ?? 0) + n;
    reads += d.reads;
    cpuSeconds += d.cpuSeconds;
  }
  let total = 0;
  let scriptRuns = 0;
  let sent = 0;
  let sentUsec = 0;
  const ranScripts = Object.keys(calls).some((name) => SCRIPT_RUNS.has(name));
  for (const [name, n] of Object.entries(calls)) {
    total += n;
    if (SCRIPT_RUNS.has(name)) scriptRuns += n;
    if (!(ranScripts && inScripts.has(name))) {
      sent += n;
      sentUsec += usec[name] ?? 0;
    }
  }
  const perCommand: Record<string, number> = {};
  for (const [name, n] of Object.entries(calls).sort((a, b) => b[1] - a[1])) perCommand[name] = n / ops;
  return {
    ops,
    commands: total / ops,
    scriptRuns: scriptRuns / ops,
    sent: sent / ops,
    perCommand,
    sentPerRead: reads > 0 ? sent / reads : Number.NaN,
    usecPerOp: sentUsec / ops,
    cpuPercent: busyS > 0 ? (cpuSeconds / busyS) * 100 : Number.NaN,
  };
}

/** Total calls in a delta. */
export function totalCalls(d: RedisDelta): number {
  let total = 0;
  for (const n of Object.values(d.calls)) total += n;
  return total;
}

/** `prefix` as a SCAN pattern matching itself literally, followed by anything. */
function pattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/** The keys under `prefix` (SCAN, never KEYS: the Redis may be shared). */
export async function keysUnder(admin: RedisClient, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', pattern(prefix), 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)];
}

/** Deletes every key under `prefix`; returns how many were deleted and how many are left. */
export async function deleteKeys(
  admin: RedisClient,
  prefix: string,
): Promise<{ deleted: number; left: number }> {
  let deleted = 0;
  const keys = await keysUnder(admin, prefix);
  for (let i = 0; i < keys.length; i += 500) deleted += await admin.del(...keys.slice(i, i + 500));
  return { deleted, left: (await keysUnder(admin, prefix)).length };
}
