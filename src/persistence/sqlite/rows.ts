/** Column codecs and the lookups every SQLite repository shares (get, getMany, delete, paged lists). */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../domain/ports.js';
import { assertPage, inIdOrder, LOG_MAX_LINES, notFound } from '../records.js';
import type { SqliteDatabase } from './database.js';

/** 24 hex digits, the same shape as a Mongo ObjectId, so ids look alike whichever store made them. */
export const newId = (): string => randomBytes(12).toString('hex');

/** Dates are stored as epoch milliseconds; an invalid Date is refused rather than stored as NaN. */
export const ms = (d: Date): number => {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new ValidationError(`Invalid date: ${String(d)}.`);
  return t;
};
export const msOrNull = (d: Date | null | undefined): number | null => (d ? ms(d) : null);
export const dateOrNull = (n: number | null): Date | null => (n === null ? null : new Date(n));

export const json = (x: unknown): string => JSON.stringify(x);
export const parse = <T>(s: string): T => JSON.parse(s) as T;
export const parseOrNull = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** A list bound as one parameter (`col IN (SELECT value FROM json_each(?))`), so the SQL text stays the same. */
export const IN_LIST = 'IN (SELECT value FROM json_each(?))';

const constraint = (e: unknown, kind: string): string | null => {
  const err = e as { code?: string; message?: string };
  return err?.code === kind ? (err.message ?? '') : null;
};
/** The unique constraint `e` broke mentions `column` (e.g. 'sites.name'). */
export const violatesUnique = (e: unknown, column: string): boolean =>
  constraint(e, 'SQLITE_CONSTRAINT_UNIQUE')?.includes(column) === true ||
  constraint(e, 'SQLITE_CONSTRAINT_PRIMARYKEY')?.includes(column) === true;
export const violatesForeignKey = (e: unknown): boolean => constraint(e, 'SQLITE_CONSTRAINT_FOREIGNKEY') !== null;

export interface ListQuery {
  where: string[];
  params: unknown[];
  order: string;
}

/** A list query built from a repository filter; undefined criteria are left out. */
export class Filter {
  private readonly where: string[] = [];
  private readonly params: unknown[] = [];
  eq(column: string, value: unknown): this {
    return value === undefined ? this : this.add(`${column} = ?`, value);
  }
  in(column: string, values: readonly unknown[] | undefined): this {
    return values === undefined ? this : this.add(`${column} ${IN_LIST}`, json(values));
  }
  add(clause: string, ...params: unknown[]): this {
    this.where.push(clause);
    this.params.push(...params);
    return this;
  }
  orderBy(order: string): ListQuery {
    return { where: this.where, params: this.params, order };
  }
}

/** Shared row access for one table; subclasses map rows to domain objects. */
export abstract class SqliteTable<T extends { id: string }, Row> {
  constructor(
    protected readonly db: SqliteDatabase,
    protected readonly table: string,
    protected readonly entity: string,
  ) {}

  protected abstract toDomain(row: Row): T;

  /** Extra rows to attach (logs); default none. Called with all rows of one read at once. */
  protected withChildren(items: T[]): T[] {
    return items;
  }

  protected row(id: string): Row | undefined {
    return this.db.get<Row>(`SELECT * FROM ${this.table} WHERE id = ?`, id);
  }
  protected one(id: string): T | null {
    const row = this.row(id);
    return row ? this.withChildren([this.toDomain(row)])[0]! : null;
  }
  protected mustRow(id: string): Row {
    const row = this.row(id);
    if (!row) throw notFound(this.entity, id);
    return row;
  }
  protected findBy(column: string, value: unknown): T | null {
    const row = this.db.get<Row>(`SELECT * FROM ${this.table} WHERE ${column} = ?`, value);
    return row ? this.withChildren([this.toDomain(row)])[0]! : null;
  }

  async get(id: string): Promise<T | null> {
    return this.db.read(() => this.one(id));
  }

  async getMany(ids: string[]): Promise<T[]> {
    return this.db.read(() => {
      const rows = this.db.all<Row>(`SELECT * FROM ${this.table} WHERE id ${IN_LIST}`, json([...new Set(ids)]));
      return inIdOrder(ids, this.withChildren(rows.map((r) => this.toDomain(r))));
    });
  }

  protected page(query: ListQuery, page: PageRequest | undefined): Page<T> {
    assertPage(page);
    const where = query.where.length ? ` WHERE ${query.where.join(' AND ')}` : '';
    const total = this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${this.table}${where}`, ...query.params)!.n;
    const rows = page
      ? this.db.all<Row>(`SELECT * FROM ${this.table}${where} ORDER BY ${query.order} LIMIT ? OFFSET ?`, ...query.params, page.limit, page.offset)
      : this.db.all<Row>(`SELECT * FROM ${this.table}${where} ORDER BY ${query.order}`, ...query.params);
    return { items: this.withChildren(rows.map((r) => this.toDomain(r))), total };
  }

  protected deleteRow(id: string): void {
    if (this.db.run(`DELETE FROM ${this.table} WHERE id = ?`, id).changes === 0) throw notFound(this.entity, id);
  }
}

/**
 * Appends log lines (one row each, `seq` counting up per owner) keeping the owner's newest LOG_MAX_LINES:
 * lines beyond the limit in `rows` are never written, older rows are deleted. Returns how many lines were dropped.
 */
export const appendLogRows = (
  db: SqliteDatabase,
  table: string,
  ownerColumn: string,
  ownerId: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): number => {
  if (!rows.length) return 0;
  const last = db.get<{ n: number | null }>(`SELECT MAX(seq) AS n FROM ${table} WHERE ${ownerColumn} = ?`, ownerId)!.n ?? 0;
  const kept = rows.slice(-LOG_MAX_LINES);
  const skipped = rows.length - kept.length;
  const sql = `INSERT INTO ${table} (${ownerColumn}, seq, ${columns.join(', ')}) VALUES (?, ?${', ?'.repeat(columns.length)})`;
  kept.forEach((values, i) => db.run(sql, ownerId, last + skipped + i + 1, ...values));
  const end = last + rows.length;
  return skipped + db.run(`DELETE FROM ${table} WHERE ${ownerColumn} = ? AND seq <= ?`, ownerId, end - LOG_MAX_LINES).changes;
};
