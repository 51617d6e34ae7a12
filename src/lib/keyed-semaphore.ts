/**
 * At most `limit` holders per key at once (one git fetch per mirror, one target change per distribution).
 * In-process only: limits that must hold across processes (migrations per server) are counted in the store.
 */
export class KeyedSemaphore {
  private readonly holders = new Map<string, number>();
  private readonly queues = new Map<string, Array<() => void>>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
  }

  /** Resolves with a release function once a slot for `key` is free; waiters are served first come, first served. */
  async acquire(key: string): Promise<() => void> {
    if ((this.holders.get(key) ?? 0) < this.limit) {
      this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
    } else {
      // The releasing holder hands its slot straight to us, so the count never exceeds the limit.
      await new Promise<void>((resolve) => {
        const q = this.queues.get(key) ?? [];
        q.push(resolve);
        this.queues.set(key, q);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queues.get(key)?.shift();
      if (next) return next();
      if (this.queues.get(key)?.length === 0) this.queues.delete(key);
      const n = (this.holders.get(key) ?? 1) - 1;
      if (n > 0) this.holders.set(key, n);
      else this.holders.delete(key);
    };
  }

  /** Runs `fn` holding a slot on every key; keys are taken in sorted order so two callers cannot deadlock. */
  async run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const releases: Array<() => void> = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  active(key: string): number {
    return this.holders.get(key) ?? 0;
  }

  waiting(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }
}
