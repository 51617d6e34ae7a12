/**
 * A bounded memory of recently seen keys (delivery ids, trigger ids), so a redelivered request is recognised
 * and handled once. Per process: good enough for the redeliveries GitHub and Slack make within minutes.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly max = 1000) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    // Sets iterate in insertion order: the first key is the oldest.
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
  }

  /** Lets `key` through again (its first handling failed, so a redelivery should retry it). */
  forget(key: string): void {
    this.keys.delete(key);
  }

  /** Records `key`; true when it was new (the first delivery). */
  firstTime(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.add(key);
    return true;
  }
}
