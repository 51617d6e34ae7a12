/** HoldStore in SQLite: one row per (kind, subject); a second `set` replaces the first. */
import type { Actor } from '../../domain/actor.js';
import type { Hold, HoldKind } from '../../domain/hold.js';
import type { HoldStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';
import { IN_LIST, json, ms, parse } from './rows.js';

interface Row {
  kind: HoldKind;
  subject_id: string;
  reason: string;
  by_actor: string;
  at: number;
}

const toDomain = (r: Row): Hold => ({ kind: r.kind, subjectId: r.subject_id, reason: r.reason, by: parse<Actor>(r.by_actor), at: new Date(r.at) });

export class SqliteHolds implements HoldStore {
  constructor(private readonly db: SqliteDatabase) {}

  async set(hold: Hold): Promise<Hold> {
    return this.db.write(() => {
      this.db.run(
        'INSERT INTO holds (kind, subject_id, reason, by_actor, at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (kind, subject_id) DO UPDATE SET reason = excluded.reason, by_actor = excluded.by_actor, at = excluded.at',
        hold.kind, hold.subjectId, hold.reason, json(hold.by), ms(hold.at),
      );
      return { ...hold, at: new Date(ms(hold.at)) };
    });
  }

  async clear(kind: HoldKind, subjectId: string): Promise<Hold | null> {
    return this.db.write(() => {
      const row = this.db.get<Row>('SELECT * FROM holds WHERE kind = ? AND subject_id = ?', kind, subjectId);
      if (!row) return null;
      this.db.run('DELETE FROM holds WHERE kind = ? AND subject_id = ?', kind, subjectId);
      return toDomain(row);
    });
  }

  async get(kind: HoldKind, subjectId: string): Promise<Hold | null> {
    return this.db.read(() => {
      const row = this.db.get<Row>('SELECT * FROM holds WHERE kind = ? AND subject_id = ?', kind, subjectId);
      return row ? toDomain(row) : null;
    });
  }

  async list(kind: HoldKind, subjectIds?: string[]): Promise<Hold[]> {
    return this.db.read(() =>
      (subjectIds
        ? this.db.all<Row>(`SELECT * FROM holds WHERE kind = ? AND subject_id ${IN_LIST} ORDER BY at`, kind, json(subjectIds))
        : this.db.all<Row>('SELECT * FROM holds WHERE kind = ? ORDER BY at', kind)
      ).map(toDomain),
    );
  }
}
