/**
 * Clicks seen within a time window, by key (message + button + value): a double click, a Slack redelivery or
 * two people clicking the same button act once. Bounded, per process.
 */
export class RecentClicks {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly max = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time `key` is seen within the window. */
  first(key: string): boolean {
    const now = this.now();
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.windowMs) return false;
    this.seen.delete(key);
    this.seen.set(key, now);
    // Maps iterate in insertion order: the first entry is the oldest.
    while (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}
