import type { RateLimitSetting } from '../config/values.js';
import type { RateLimitedApplication, Window, WindowStore } from './store.js';
import { FixedWindowCounter, WindowSlots } from './windows.js';

/**
 * Counts in this process's memory, synchronously: token requests in the windows of the
 * applications' cache slots, failed authentications by IP. Nothing is shared, so a block
 * decided here concerns only this process.
 */
export class MemoryWindowStore implements WindowStore {
  readonly sharedAcrossInstances = false;
  private readonly requests: WindowSlots;
  private readonly failures: FixedWindowCounter;

  constructor(requests: RateLimitSetting, authFailures: RateLimitSetting) {
    this.requests = new WindowSlots(requests);
    this.failures = new FixedWindowCounter(authFailures);
  }

  hitApplication(application: RateLimitedApplication, now: number): Window {
    return this.requests.hit(application.slot, application.serial, now);
  }

  peekApplication(application: RateLimitedApplication, now: number): Window {
    return this.requests.peek(application.slot, application.serial, now);
  }

  hitAddress(ip: string, now: number): Window {
    return this.failures.hit(ip, now);
  }

  peekAddress(ip: string, now: number): Window {
    return this.failures.peek(ip, now);
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}
}
