/**
 * Failed sign-ins per user name + client address: after MAX_FAILURES within the window, that pair waits until the
 * window ends. Memory is bounded: at most MAX_KEYS pairs are remembered, the oldest forgotten first.
 */
const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60_000;
const MAX_KEYS = 10_000;

interface Entry {
  failures: number;
  since: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds to wait before `key` may try again, or 0. */
  retryAfter(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const left = e.since + WINDOW_MS - this.now();
    if (left <= 0) {
      this.entries.delete(key);
      return 0;
    }
    return e.failures >= MAX_FAILURES ? Math.ceil(left / 1000) : 0;
  }

  fail(key: string): void {
    const e = this.entries.get(key);
    if (e && e.since + WINDOW_MS > this.now()) {
      e.failures++;
      return;
    }
    this.entries.delete(key);
    if (this.entries.size >= MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { failures: 1, since: this.now() });
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
