/**
 * A token bucket: `capacity` calls at once (the burst), refilled at `perMinute`. Time comes from `now` so the
 * updater and its tests share one clock. A 429 from Slack empties the bucket until Retry-After has passed.
 */
export interface TokenBucketOptions {
  capacity: number;
  perMinute: number;
  now: () => number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;

  constructor(private readonly options: TokenBucketOptions) {
    this.tokens = options.capacity;
    this.last = options.now();
  }

  private refill(now: number): void {
    const perMs = this.options.perMinute / 60_000;
    this.tokens = Math.min(this.options.capacity, this.tokens + (now - this.last) * perMs);
    this.last = now;
  }

  /** Takes a token if one is available now. */
  take(): boolean {
    const now = this.options.now();
    if (now < this.pausedUntil) return false;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until `take()` can succeed (0 when it can now). */
  waitMs(): number {
    const now = this.options.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill(now);
    if (this.tokens >= 1) return 0;
    return Math.ceil((1 - this.tokens) / (this.options.perMinute / 60_000));
  }

  /** Slack said to wait: nothing goes out before `ms` from now, and the burst starts empty afterwards. */
  pause(ms: number): void {
    const now = this.options.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
    this.tokens = 0;
    this.last = this.pausedUntil;
  }
}
