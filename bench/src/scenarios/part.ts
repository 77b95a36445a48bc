// How a scenario runs each of its parts: a failure is recorded in the part's result, said out loud,
// and does not stop the parts after it (the report shows what could be measured).
import type { PartStatus } from '../results.js';

/** Runs one part; a throw marks it failed (loudly) and keeps whatever it had measured. */
export async function runPart<T extends PartStatus>(
  label: string,
  partial: T,
  body: (r: T) => Promise<void>,
): Promise<T> {
  try {
    await body(partial);
  } catch (err) {
    partial.status = 'failed';
    partial.error = (err as Error).message;
    process.stderr.write(`\n!!!!!!!! ${label}: FAILED: ${partial.error}\n\n`);
  }
  return partial;
}
