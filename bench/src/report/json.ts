// latest.json: everything measured, every run, for later comparison or re-plotting.
import type { BenchResults } from '../results.js';

export function renderJson(results: BenchResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
