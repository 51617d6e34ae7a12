/** Sites in SQLite; a site's platform must exist (foreign key). */
import { NotFoundError } from '../../domain/errors.js';
import type { PageRequest, SiteFilter, SiteRepository } from '../../domain/ports.js';
import type { Site, SiteHistoryEntry, SiteStatus } from '../../domain/site.js';
import { conflicts, newSiteRecord, pickPatch, SITE_PATCH_KEYS } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { Filter, IN_LIST, json, ms, newId, parse, SqliteTable, violatesForeignKey, violatesUnique } from './rows.js';

interface Row {
  id: string;
  name: string;
  platform_id: string;
  status: SiteStatus;
  modules: string;
  history: string;
  created_at: number;
  updated_at: number;
}

/** History entries keep their dates as epoch milliseconds inside the JSON column. */
interface StoredHistoryEntry {
  platformId: string;
  from: number;
  taskId?: string;
}

const encodeHistory = (history: SiteHistoryEntry[]): string =>
  json(history.map((h): StoredHistoryEntry => ({ platformId: h.platformId, from: ms(h.from), ...(h.taskId !== undefined ? { taskId: h.taskId } : {}) })));
const decodeHistory = (text: string): SiteHistoryEntry[] =>
  parse<StoredHistoryEntry[]>(text).map((h) => ({ platformId: h.platformId, from: new Date(h.from), ...(h.taskId !== undefined ? { taskId: h.taskId } : {}) }));

export class SqliteSites extends SqliteTable<Site, Row> implements SiteRepository {
  constructor(db: SqliteDatabase) {
    super(db, 'sites', 'site');
  }

  protected toDomain(r: Row): Site {
    return {
      id: r.id,
      name: r.name,
      platformId: r.platform_id,
      status: r.status,
      modules: parse(r.modules),
      history: decodeHistory(r.history),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  /** Inserts a whole record (create, and the import of an old snapshot). */
  insert(s: Site): void {
    try {
      this.db.run(
        'INSERT INTO sites (id, name, platform_id, status, modules, history, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        s.id, s.name, s.platformId, s.status, json(s.modules), encodeHistory(s.history), ms(s.createdAt), ms(s.updatedAt),
      );
    } catch (e) {
      if (violatesUnique(e, 'sites.name')) throw conflicts.siteName(s.name);
      if (violatesForeignKey(e)) throw new NotFoundError('platform', s.platformId);
      throw e;
    }
  }

  async create(input: Parameters<SiteRepository['create']>[0]) {
    return this.db.write(() => {
      const s: Site = { id: newId(), ...newSiteRecord(input, new Date()) };
      this.insert(s);
      return s;
    });
  }

  async createMany(inputs: Parameters<SiteRepository['create']>[0][]) {
    return this.db.write(() => {
      const now = new Date();
      for (const input of inputs) this.insert({ id: newId(), ...newSiteRecord(input, now) });
      return inputs.length;
    });
  }

  async getByName(name: string) {
    return this.db.read(() => this.findBy('name', name));
  }

  async list(filter: SiteFilter = {}, page?: PageRequest) {
    const query = new Filter().in('platform_id', filter.platformIds).in('status', filter.status);
    // instr, not LIKE: the user's text is matched literally (no wildcards). Names are ASCII, so lower() is enough.
    if (filter.nameContains !== undefined) query.add('instr(lower(name), ?) > 0', filter.nameContains.toLowerCase());
    return this.db.read(() => this.page(query.orderBy('name'), page));
  }

  async countByPlatform(platformIds: string[]) {
    return this.db.read(() => {
      const counts: Record<string, number> = Object.fromEntries(platformIds.map((id) => [id, 0]));
      const rows = this.db.all<{ platform_id: string; n: number }>(
        `SELECT platform_id, COUNT(*) AS n FROM sites WHERE platform_id ${IN_LIST} GROUP BY platform_id`,
        json(platformIds),
      );
      for (const r of rows) counts[r.platform_id] = r.n;
      return counts;
    });
  }

  /** Compare-and-set on one site: applies `change` only when `when` holds. */
  private cas(id: string, when: (s: Site) => boolean, change: (s: Site) => Partial<Site>): Promise<Site | null> {
    return this.db.write(() => {
      const s = this.one(id);
      if (!s || !when(s)) return null;
      const next = { ...s, ...change(s), updatedAt: new Date() };
      this.save(next);
      return next;
    });
  }

  private save(s: Site): void {
    this.db.run(
      'UPDATE sites SET platform_id = ?, status = ?, modules = ?, history = ?, updated_at = ? WHERE id = ?',
      s.platformId, s.status, json(s.modules), encodeHistory(s.history), ms(s.updatedAt), s.id,
    );
  }

  async beginMigration(siteId: string, fromPlatformId: string) {
    return this.cas(siteId, (s) => s.status === 'enabled' && s.platformId === fromPlatformId, () => ({ status: 'migrating' }));
  }

  async completeMigration(siteId: string, toPlatformId: string, taskId: string, at: Date) {
    return this.cas(
      siteId,
      (s) => s.status === 'migrating',
      (s) => ({
        status: 'enabled',
        platformId: toPlatformId,
        history: [...s.history, { platformId: toPlatformId, from: new Date(ms(at)), taskId }],
      }),
    );
  }

  async abortMigration(siteId: string) {
    return this.cas(siteId, (s) => s.status === 'migrating', () => ({ status: 'enabled' }));
  }

  private mustNotMigrate(id: string): Site {
    const s = this.one(id);
    if (!s) throw new NotFoundError(this.entity, id);
    if (s.status === 'migrating') throw conflicts.siteMigrating(s.name);
    return s;
  }

  async update(id: string, patch: Parameters<SiteRepository['update']>[1]) {
    return this.db.write(() => {
      const next = { ...this.mustNotMigrate(id), ...pickPatch(patch, SITE_PATCH_KEYS), updatedAt: new Date() };
      next.modules = [...next.modules];
      this.save(next);
      return next;
    });
  }

  async delete(id: string) {
    await this.db.write(() => {
      this.mustNotMigrate(id);
      this.deleteRow(id);
    });
  }
}
