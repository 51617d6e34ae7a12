/**
 * RedeliveryStore in SQLite: one row per key with its expiry. Every offer runs as one write (the database's
 * writes are serialized), so of two concurrent first offers exactly one inserts; expired rows are pruned on the
 * way, which also lets an expired key count as new again.
 */
import type { RedeliveryStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';

export class SqliteRedeliveries implements RedeliveryStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  async seen(key: string, ttlMs: number): Promise<boolean> {
    return this.db.write(() => {
      const now = this.now();
      this.db.run('DELETE FROM redeliveries WHERE expires_at <= ?', now);
      return this.db.run('INSERT INTO redeliveries (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', key, now + ttlMs).changes === 0;
    });
  }

  async forget(key: string): Promise<void> {
    await this.db.write(() => this.db.run('DELETE FROM redeliveries WHERE key = ?', key));
  }
}
