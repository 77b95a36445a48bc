// Small, dependency-free statistics used by the harness and the micro-benchmarks.

/** Median of a non-empty list (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
