/** ApiTokenStore in SQLite: one row per personal API token, found by the hash of its secret. */
import type { AdminRole } from '../../domain/admin-roles.js';
import type { ApiToken } from '../../domain/api-token.js';
import type { ApiTokenStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';

interface TokenRow {
  id: string;
  user: string;
  name: string;
  role: AdminRole;
  hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  user: r.user,
  name: r.name,
  role: r.role,
  hash: r.hash,
  createdAt: new Date(r.created_at),
  expiresAt: r.expires_at === null ? null : new Date(r.expires_at),
  lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at),
});

export class SqliteApiTokens implements ApiTokenStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(t: ApiToken): Promise<void> {
    await this.db.write(() =>
      this.db.run(
        'INSERT INTO api_tokens (id, user, name, role, hash, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        t.id,
        t.user,
        t.name,
        t.role,
        t.hash,
        t.createdAt.getTime(),
        t.expiresAt?.getTime() ?? null,
        t.lastUsedAt?.getTime() ?? null,
      ),
    );
  }

  async findByHash(hash: string): Promise<ApiToken | null> {
    const row = await this.db.read(() => this.db.get<TokenRow>('SELECT * FROM api_tokens WHERE hash = ?', hash));
    return row ? toToken(row) : null;
  }

  async listByUser(user: string): Promise<ApiToken[]> {
    const rows = await this.db.read(() => this.db.all<TokenRow>('SELECT * FROM api_tokens WHERE user = ? ORDER BY created_at DESC, id DESC', user));
    return rows.map(toToken);
  }

  async revoke(user: string, id: string): Promise<ApiToken | null> {
    return this.db.write(() => {
      const row = this.db.get<TokenRow>('SELECT * FROM api_tokens WHERE id = ? AND user = ?', id, user);
      if (!row) return null;
      this.db.run('DELETE FROM api_tokens WHERE id = ?', id);
      return toToken(row);
    });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.write(() =>
      this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', at.getTime(), id, at.getTime()),
    );
  }
}
