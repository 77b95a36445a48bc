/**
 * "Every admin change is in force on every server process when the command or request that made
 * it returns" (CONTRACT.md): after a write, wait until every live process reports that it has
 * applied the change, within a bound.
 *
 * @module
 */
import type { Storage } from '../storage/types.js';
import { PROCESS_LIVENESS_MS } from './change-follower.js';

/** Default bound of {@link awaitPropagation}. */
export const PROPAGATION_TIMEOUT_MS = 5000;
// How often the process table is read while waiting: processes apply a change within one poll
// of their own (50 ms) or at once on a push, so this bounds the added wait.
const CHECK_INTERVAL_MS = 10;

/** An admin change was written, but some live processes did not confirm it within the bound. */
export class PropagationError extends Error {
  /** The lagging processes' labels. */
  readonly lagging: readonly string[];
  /** The change sequence number that was waited for. */
  readonly seq: number;

  constructor(seq: number, lagging: readonly string[], timeoutMs: number) {
    super(
      `the change was saved, but ${lagging.length} server process(es) did not confirm it within ${timeoutMs} ms: ${lagging.join('; ')}`,
    );
    this.name = 'PropagationError';
    this.lagging = lagging;
    this.seq = seq;
  }
}

/** Options of {@link awaitPropagation}. */
export interface PropagationOptions {
  /** Give up after this long. Default {@link PROPAGATION_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/**
 * Resolves once every live server process (heartbeat within {@link PROCESS_LIVENESS_MS}) has
 * applied change `seq`. A process that dies meanwhile stops counting once its heartbeat is old.
 *
 * @throws PropagationError naming the lagging processes when the bound passes first.
 */
export async function awaitPropagation(
  storage: Storage,
  seq: number,
  options: PropagationOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? PROPAGATION_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = Date.now();
    const live = await storage.listProcesses(now - PROCESS_LIVENESS_MS);
    const lagging = live.filter((process) => process.appliedSeq < seq);
    if (lagging.length === 0) return;
    if (now >= deadline)
      throw new PropagationError(
        seq,
        lagging.map((process) => process.label),
        timeoutMs,
      );
    await new Promise((resolve) => setTimeout(resolve, CHECK_INTERVAL_MS));
  }
}

/** Waits for the latest change in storage (the one just written, or a later one) to reach every live process. */
export async function awaitLatestChange(storage: Storage, options: PropagationOptions = {}): Promise<void> {
  await awaitPropagation(storage, await storage.latestChange(), options);
}
