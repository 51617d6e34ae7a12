/**
 * RedeliveryStore for the embedded (single-process) mode: a bounded in-process map of key → expiry.
 * Not snapshotted: it only has to outlive the minutes in which Slack and GitHub redeliver.
 */
import type { RedeliveryStore } from '../../domain/ports.js';

/** Oldest entries are dropped beyond this, so a flood of distinct keys cannot grow memory without bound. */
const MAX_KEYS = 10_000;

export class MemoryRedeliveries implements RedeliveryStore {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = MAX_KEYS,
  ) {}

  async seen(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const until = this.expiries.get(key);
    if (until !== undefined && until > now) return true;
    // Re-insert so Map order stays oldest-first.
    this.expiries.delete(key);
    this.expiries.set(key, now + ttlMs);
    while (this.expiries.size > this.max) this.expiries.delete(this.expiries.keys().next().value!);
    return false;
  }

  async forget(key: string): Promise<void> {
    this.expiries.delete(key);
  }
}
