// Micro-benchmark harness: warm-up, then 5 samples of a fixed number of operations each; the result is
// the median rate. Fixed operation counts (not fixed time) keep runs bounded and let a benchmark hand
// every operation its own input (e.g. a distinct token per verification).
import { median } from '../stats.js';

export interface MicroResult {
  name: string;
  /** What `value` measures. */
  unit: 'ops/s' | 'ns/op' | 'µs/op' | 'requests' | 'ratio';
  /** Median over the samples (or the single measured value). */
  value: number;
  samples: number[];
  note?: string;
}

/** A micro-benchmark module's outcome: measured, or skipped with the reason printed and reported. */
export type MicroSection = { status: 'ok'; results: MicroResult[] } | { status: 'skipped'; note: string };

export interface MeasureOptions {
  /** Operations per sample. */
  ops: number;
  /** Measured samples (default 5). */
  samples?: number;
  /** Warm-up samples, not reported (default 1). */
  warmup?: number;
}

/** Runs `fn(i)` `ops` times per sample, awaiting each call when it returns a promise; returns ops/s samples. */
export async function measureOps(
  fn: (i: number) => unknown,
  { ops, samples = 5, warmup = 1 }: MeasureOptions,
): Promise<number[]> {
  const rates: number[] = [];
  let i = 0;
  for (let s = 0; s < warmup + samples; s++) {
    const start = process.hrtime.bigint();
    for (let n = 0; n < ops; n++) {
      const out = fn(i++);
      if (out instanceof Promise) await out;
    }
    const ns = Number(process.hrtime.bigint() - start);
    if (s >= warmup) rates.push(ops / (ns / 1e9));
  }
  return rates;
}

/**
 * Runs `first(i)` and `second(i)` `ops` times each, alternating in chunks of `chunk` calls (who
 * goes first alternates too), and returns both rates in ops/s. Two functions compared this way
 * see the same machine: a burst of foreign load lasting longer than a chunk slows both alike,
 * where timing one batch after the other lets it land on either.
 */
export async function alternatingRates(
  first: (i: number) => unknown,
  second: (i: number) => unknown,
  { ops, chunk, offset = 0 }: { ops: number; chunk: number; offset?: number },
): Promise<[number, number]> {
  const elapsedNs = [0, 0];
  const fns = [first, second];
  for (let start = 0, round = 0; start < ops; start += chunk, round++) {
    const end = Math.min(ops, start + chunk);
    for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const fn = fns[which]!;
      const t0 = process.hrtime.bigint();
      for (let i = start; i < end; i++) {
        const out = fn(offset + i);
        if (out instanceof Promise) await out;
      }
      elapsedNs[which]! += Number(process.hrtime.bigint() - t0);
    }
  }
  return [ops / (elapsedNs[0]! / 1e9), ops / (elapsedNs[1]! / 1e9)];
}

/** ops/s as a MicroResult (median of the samples). */
export async function opsPerSecond(
  name: string,
  fn: (i: number) => unknown,
  opts: MeasureOptions,
): Promise<MicroResult> {
  const samples = await measureOps(fn, opts);
  return { name, unit: 'ops/s', value: median(samples), samples };
}

/** ns per operation as a MicroResult (median of the samples). */
export async function nsPerOp(
  name: string,
  fn: (i: number) => unknown,
  opts: MeasureOptions,
): Promise<MicroResult> {
  const samples = (await measureOps(fn, opts)).map((rate) => 1e9 / rate);
  return { name, unit: 'ns/op', value: median(samples), samples };
}

/** Imports a module by file path, or returns the reason it cannot be imported (missing or broken). */
export async function tryImport<T>(path: string): Promise<{ mod: T } | { missing: string }> {
  try {
    return { mod: (await import(path)) as T };
  } catch (err) {
    return { missing: `cannot import ${path}: ${(err as Error).message.split('\n')[0]}` };
  }
}
