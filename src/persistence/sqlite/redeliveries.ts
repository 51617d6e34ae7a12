/**
 * RedeliveryStore in SQLite: one row per key with its expiry, and for claims (GitHub deliveries) a state and a lease.
 * Every offer runs as one write (the database's writes are serialized), so of two concurrent first offers exactly
 * one inserts; expired rows are pruned on the way, which also lets an expired key count as new again.
 */
import type { DeliveryClaim, RedeliveryStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';

export class SqliteRedeliveries implements RedeliveryStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  /** Deletes expired rows; returns the current time. Inside a write. */
  private prune(): number {
    const now = this.now();
    this.db.run('DELETE FROM redeliveries WHERE expires_at <= ?', now);
    return now;
  }

  async seen(key: string, ttlMs: number): Promise<boolean> {
    return this.db.write(() => {
      const now = this.prune();
      return this.db.run('INSERT INTO redeliveries (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', key, now + ttlMs).changes === 0;
    });
  }

  async forget(key: string): Promise<void> {
    await this.db.write(() => this.db.run('DELETE FROM redeliveries WHERE key = ?', key));
  }

  async claim(key: string, ttlMs: number, leaseMs: number): Promise<DeliveryClaim> {
    return this.db.write(() => {
      const now = this.prune();
      const row = this.db.get<{ state: 'claimed' | 'done'; lease_until: number | null }>('SELECT state, lease_until FROM redeliveries WHERE key = ?', key);
      if (row?.state === 'done') return 'done';
      if (row && (row.lease_until ?? 0) > now) return 'in-progress';
      // New, or claimed by a handler that never completed within its lease: this caller takes it.
      this.db.run(
        `INSERT INTO redeliveries (key, expires_at, state, lease_until) VALUES (?, ?, 'claimed', ?)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, state = 'claimed', lease_until = excluded.lease_until`,
        key,
        now + ttlMs,
        now + leaseMs,
      );
      return 'claimed';
    });
  }

  async complete(key: string): Promise<void> {
    await this.db.write(() => this.db.run(`UPDATE redeliveries SET state = 'done', lease_until = NULL WHERE key = ?`, key));
  }
}
