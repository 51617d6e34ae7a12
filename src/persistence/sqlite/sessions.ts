/** SessionStore in SQLite: one row per admin session, keyed by the hash of its cookie token. */
import type { AdminSession, SessionStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';

interface SessionRow {
  id: string;
  user: string;
  csrf: string;
  created_at: number;
  last_seen_at: number;
  stamp: string;
}

export class SqliteSessions implements SessionStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(s: AdminSession): Promise<void> {
    await this.db.write(() =>
      this.db.run(
        'INSERT INTO admin_sessions (id, user, csrf, created_at, last_seen_at, stamp) VALUES (?, ?, ?, ?, ?, ?)',
        s.id,
        s.user,
        s.csrf,
        s.createdAt.getTime(),
        s.lastSeenAt.getTime(),
        s.stamp,
      ),
    );
  }

  async get(id: string): Promise<AdminSession | null> {
    const row = await this.db.read(() => this.db.get<SessionRow>('SELECT * FROM admin_sessions WHERE id = ?', id));
    return row
      ? { id: row.id, user: row.user, csrf: row.csrf, createdAt: new Date(row.created_at), lastSeenAt: new Date(row.last_seen_at), stamp: row.stamp }
      : null;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.write(() => this.db.run('UPDATE admin_sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?', at.getTime(), id));
  }

  async delete(id: string): Promise<void> {
    await this.db.write(() => this.db.run('DELETE FROM admin_sessions WHERE id = ?', id));
  }

  async prune(idleBefore: Date, createdBefore: Date): Promise<number> {
    return this.db.write(
      () => this.db.run('DELETE FROM admin_sessions WHERE last_seen_at < ? OR created_at < ?', idleBefore.getTime(), createdBefore.getTime()).changes,
    );
  }

  async deleteByUser(user: string, keepStamp?: string): Promise<number> {
    return this.db.write(() =>
      keepStamp === undefined
        ? this.db.run('DELETE FROM admin_sessions WHERE user = ?', user).changes
        : this.db.run('DELETE FROM admin_sessions WHERE user = ? AND stamp != ?', user, keepStamp).changes,
    );
  }

  async countByUser(): Promise<Record<string, number>> {
    const rows = await this.db.read(() => this.db.all<{ user: string; n: number }>('SELECT user, COUNT(*) AS n FROM admin_sessions GROUP BY user'));
    const counts: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const r of rows) counts[r.user] = r.n;
    return counts;
  }
}
