/** SignInStore in SQLite: throttle counters (one row per key) and re-hashed passwords (one row per user). */
import { throttleAttempt, type ThrottleRule, type ThrottleState } from '../../domain/login-throttle.js';
import type { SignInStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';

interface Row {
  count: number;
  window_start: number;
  next_at: number;
}

export class SqliteSignIns implements SignInStore {
  constructor(private readonly db: SqliteDatabase) {}

  /** One write (one transaction): every rule's row is read and, only when all accept, all are written. */
  async reserveAttempt(rules: ThrottleRule[], now: Date): Promise<number> {
    return this.db.write(() => {
      const next: [string, ThrottleState][] = [];
      let wait = 0;
      for (const rule of rules) {
        const row = this.db.get<Row>('SELECT count, window_start, next_at FROM sign_in_throttle WHERE key = ?', rule.key);
        const r = throttleAttempt(row ? { count: row.count, windowStart: row.window_start, nextAt: row.next_at } : null, rule, now.getTime());
        if (r.state) next.push([rule.key, r.state]);
        else wait = Math.max(wait, r.waitMs);
      }
      if (wait > 0) return wait;
      for (const [key, s] of next) {
        this.db.run(
          'INSERT INTO sign_in_throttle (key, count, window_start, next_at) VALUES (?, ?, ?, ?) ' +
            'ON CONFLICT (key) DO UPDATE SET count = excluded.count, window_start = excluded.window_start, next_at = excluded.next_at',
          key, s.count, s.windowStart, s.nextAt,
        );
      }
      return 0;
    });
  }

  async refundAttempt(keys: string[]): Promise<void> {
    await this.db.write(() => {
      for (const key of keys) this.db.run('UPDATE sign_in_throttle SET count = MAX(count - 1, 0) WHERE key = ?', key);
    });
  }

  async clearAttempts(keys: string[]): Promise<void> {
    await this.db.write(() => {
      for (const key of keys) this.db.run('DELETE FROM sign_in_throttle WHERE key = ?', key);
    });
  }

  async getRehash(user: string): Promise<{ source: string; hash: string } | null> {
    const row = await this.db.read(() => this.db.get<{ source: string; hash: string }>('SELECT source, hash FROM admin_password_rehash WHERE user = ?', user));
    return row ? { source: row.source, hash: row.hash } : null;
  }

  async setRehash(user: string, source: string, hash: string): Promise<void> {
    await this.db.write(() =>
      this.db.run(
        'INSERT INTO admin_password_rehash (user, source, hash) VALUES (?, ?, ?) ON CONFLICT (user) DO UPDATE SET source = excluded.source, hash = excluded.hash',
        user, source, hash,
      ),
    );
  }
}
