// Small, dependency-free statistics used by the harness and the micro-benchmarks.

/** Median of a non-empty list (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The q-quantile (0 < q ≤ 1) by nearest rank: the smallest value with at least q of the values at
 * or below it, so p90 of 20 samples is the 18th smallest. NaN when empty.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

/** Smallest value; NaN when empty. */
export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

/** Largest value; NaN when empty. */
export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** Sum of the values (0 when empty). */
export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * Relative spread of a series around a reference value: the largest |v / ref - 1|.
 * Used for "req/s stays within ±10% from 10 to 100,000 applications".
 */
export function maxDeviation(values: readonly number[], reference: number): number {
  let worst = 0;
  for (const v of values) worst = Math.max(worst, Math.abs(v / reference - 1));
  return worst;
}

/** Formats a number with a fixed number of decimals and thin thousands separators. */
export function fmt(value: number | undefined, decimals = 0): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/**
 * The order in which round `round` runs its targets: as listed in even rounds, reversed in odd ones.
 * A machine that slowly speeds up or slows down during the run then favours neither side of a ratio
 * (a target that runs first in one round runs last in the next).
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}
