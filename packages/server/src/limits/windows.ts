/**
 * Fixed windows counted in this process's memory: the in-process store's counters, and the
 * counters the cluster primary holds for its workers.
 *
 * A window opens with its key's first event and lasts the limit's duration; every event counts,
 * including those over the limit (the semantics of rate-limiter-flexible's `RateLimiterMemory`,
 * which these replaced: synchronous, no promise per request, and the same as the Redis store's
 * script).
 *
 * @module
 */
import type { RateLimitSetting } from '../config/values.js';
import type { Window } from './store.js';

/** No window open: nothing counted. */
export const EMPTY_WINDOW: Window = { count: 0, msBeforeReset: 0 };

/**
 * Fixed windows held in one `Float64Array`, addressed by a small integer slot and the number of
 * the slot's current owner. A slot whose owner changed starts over, so slots can be reused.
 *
 * Why typed arrays: a window is three numbers, and objects in a map would be one more heap
 * object per application for the garbage collector and one more cache miss per request.
 */
export class WindowSlots {
  readonly durationMs: number;
  // Per slot: [resets at (epoch ms), count, owner]; owner 0 = never used.
  private windows = new Float64Array(WINDOW_FIELDS * 64);

  constructor(setting: RateLimitSetting) {
    this.durationMs = setting.durationSeconds * 1000;
  }

  /** Counts one event of `owner` in `slot` and returns the window after it. */
  hit(slot: number, owner: number, now: number): Window {
    if ((slot + 1) * WINDOW_FIELDS > this.windows.length) this.grow(slot);
    const windows = this.windows;
    const at = slot * WINDOW_FIELDS;
    if (windows[at + OWNER] !== owner || windows[at + RESETS_AT]! <= now) {
      windows[at + RESETS_AT] = now + this.durationMs;
      windows[at + COUNT] = 0;
      windows[at + OWNER] = owner;
    }
    const count = windows[at + COUNT]! + 1;
    windows[at + COUNT] = count;
    return { count, msBeforeReset: windows[at + RESETS_AT]! - now };
  }

  /** The window of `owner` in `slot` without counting anything. */
  peek(slot: number, owner: number, now: number): Window {
    const at = slot * WINDOW_FIELDS;
    if (!this.isOpen(slot, now) || this.windows[at + OWNER] !== owner) return EMPTY_WINDOW;
    return { count: this.windows[at + COUNT]!, msBeforeReset: this.windows[at + RESETS_AT]! - now };
  }

  /** Whether `slot` has a window that has not ended at `now` (slot -1 never has one). */
  isOpen(slot: number, now: number): boolean {
    const at = slot * WINDOW_FIELDS;
    return at >= 0 && at < this.windows.length && this.windows[at + RESETS_AT]! > now;
  }

  private grow(slot: number): void {
    let length = this.windows.length * 2;
    while (length < (slot + 1) * WINDOW_FIELDS) length *= 2;
    const windows = new Float64Array(length);
    windows.set(this.windows);
    this.windows = windows;
  }
}

const WINDOW_FIELDS = 3;
const RESETS_AT = 0;
const COUNT = 1;
const OWNER = 2;

/**
 * {@link WindowSlots} addressed by a string key (an IP; an application ID in a cluster primary).
 * Keys whose window ended give their slot back at most once per window length, when a new key
 * arrives, so memory stays bounded by the keys active within one window.
 */
export class FixedWindowCounter {
  private readonly windows: WindowSlots;
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private nextSweep = 0;

  constructor(setting: RateLimitSetting) {
    this.windows = new WindowSlots(setting);
  }

  /** Counts one event for `key` and returns the window after it. */
  hit(key: string, now: number): Window {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      this.sweep(now);
      slot = this.freeSlots.pop() ?? this.slots.size;
      this.slots.set(key, slot);
    }
    return this.windows.hit(slot, KEYED_OWNER, now);
  }

  /** The window of `key` without counting anything. */
  peek(key: string, now: number): Window {
    return this.windows.peek(this.slots.get(key) ?? -1, KEYED_OWNER, now);
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windows.durationMs;
    for (const [key, slot] of this.slots) {
      if (this.windows.isOpen(slot, now)) continue;
      this.slots.delete(key);
      this.freeSlots.push(slot);
    }
  }
}

// A keyed slot is only reused after its window ended, so one owner number serves every key.
const KEYED_OWNER = 1;

/** Client IPs whose failed-authentication budget is spent, each with when its block ends. */
export class BlockedAddresses {
  private readonly until = new Map<string, number>();

  /** Milliseconds left of the block on `ip`, or 0 when it is not blocked (forgetting an ended block). */
  msLeft(ip: string, now: number): number {
    const until = this.until.get(ip);
    if (until === undefined) return 0;
    if (until <= now) {
      this.until.delete(ip);
      return 0;
    }
    return until - now;
  }

  /** Blocks `ip` until `until` (epoch ms); a longer block already in force stays. */
  block(ip: string, until: number, now: number): void {
    if (this.until.size > MAX_BLOCKED) {
      for (const [key, end] of this.until) if (end <= now) this.until.delete(key);
    }
    if ((this.until.get(ip) ?? 0) < until) this.until.set(ip, until);
  }

  /** Every block in force at `now`, as `[ip, ms left]`. */
  entries(now: number): [ip: string, msLeft: number][] {
    const entries: [string, number][] = [];
    for (const [ip, until] of this.until) if (until > now) entries.push([ip, until - now]);
    return entries;
  }
}

// Past this many entries, ended blocks are swept before a new one is added.
const MAX_BLOCKED = 100_000;
