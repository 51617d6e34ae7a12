/**
 * AuditStore in SQLite: one row per entry, `seq` AUTOINCREMENT (never reused, so it orders entries and serves as
 * the page cursor). Append-only: the table's triggers refuse UPDATE and DELETE.
 */
import type { Actor } from '../../domain/actor.js';
import type { AuditAction, AuditEntry, AuditFilter, AuditPageRequest, AuditSource, AuditSubject, NewAuditEntry } from '../../domain/audit.js';
import { ValidationError } from '../../domain/errors.js';
import type { AuditStore } from '../../domain/ports.js';
import type { SqliteDatabase } from './database.js';
import { Filter, json, ms, parse } from './rows.js';

interface Row {
  seq: number;
  at: number;
  actor: string;
  actor_id: string;
  source: AuditSource;
  action: AuditAction;
  subject_kind: AuditSubject['kind'];
  subject_id: string;
  subject_name: string;
  details: string;
}

const toDomain = (r: Row): AuditEntry => ({
  id: String(r.seq),
  at: new Date(r.at),
  actor: parse<Actor>(r.actor),
  actorId: r.actor_id,
  source: r.source,
  action: r.action,
  subject: { kind: r.subject_kind, id: r.subject_id, name: r.subject_name },
  details: parse(r.details),
});

export class SqliteAudit implements AuditStore {
  constructor(private readonly db: SqliteDatabase) {}

  async append(e: NewAuditEntry): Promise<AuditEntry> {
    return this.db.write(() => {
      const { lastInsertRowid } = this.db.run(
        'INSERT INTO audit (at, actor, actor_id, source, action, subject_kind, subject_id, subject_name, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ms(e.at), json(e.actor), e.actorId, e.source, e.action, e.subject.kind, e.subject.id, e.subject.name, json(e.details),
      );
      return { id: String(lastInsertRowid), ...e };
    });
  }

  async list(filter: AuditFilter, page: AuditPageRequest) {
    const query = new Filter()
      .eq('actor_id', filter.actorId)
      .in('action', filter.action)
      .in('source', filter.source);
    if (filter.subject !== undefined) query.add('(subject_name = ? OR subject_id = ?)', filter.subject, filter.subject);
    if (filter.since) query.add('at >= ?', ms(filter.since));
    if (filter.until) query.add('at < ?', ms(filter.until));
    if (page.before !== undefined) {
      if (!/^\d{1,15}$/.test(page.before)) throw new ValidationError('Invalid cursor.', ['cursor: the `next` value of a previous page']);
      query.add('seq < ?', Number(page.before));
    }
    const { where, params } = query.orderBy('seq DESC');
    return this.db.read(() => {
      const rows = this.db.all<Row>(
        `SELECT * FROM audit${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
        ...params,
        page.limit + 1,
      );
      const items = rows.slice(0, page.limit).map(toDomain);
      return { items, next: rows.length > page.limit ? items[items.length - 1]!.id : null };
    });
  }
}
