/** Platforms in SQLite; build logs are rows appended per line, never rewritten. */
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { Actor } from '../../domain/actor.js';
import type { Manifest, Platform, PlatformStatus } from '../../domain/platform.js';
import type { PageRequest, PlatformFilter, PlatformRepository } from '../../domain/ports.js';
import { clipLine, conflicts, newPlatformRecord, pickPatch, PLATFORM_PATCH_KEYS } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { appendLogRows, dateOrNull, Filter, IN_LIST, json, ms, msOrNull, newId, parse, SqliteTable, violatesForeignKey, violatesUnique } from './rows.js';

interface Row {
  id: string;
  name: string;
  distribution_id: string;
  source_ref: string;
  source_commit: string;
  manifest: string;
  status: PlatformStatus;
  created_by: string;
  server: string;
  path: string | null;
  build_lease_until: number | null;
  build_log_dropped: number;
  created_at: number;
  updated_at: number;
}

/** A build lease that ran out (or was never set); takes `now` as its parameter. */
const EXPIRED_LEASE = '(build_lease_until IS NULL OR build_lease_until < ?)';

export class SqlitePlatforms extends SqliteTable<Platform, Row> implements PlatformRepository {
  constructor(db: SqliteDatabase) {
    super(db, 'platforms', 'platform');
  }

  protected toDomain(r: Row): Platform {
    return {
      id: r.id,
      name: r.name,
      distributionId: r.distribution_id,
      source: { ref: r.source_ref, commit: r.source_commit },
      manifest: parse<Manifest>(r.manifest),
      status: r.status,
      createdBy: parse<Actor>(r.created_by),
      server: r.server,
      path: r.path,
      buildLog: [],
      buildLogDropped: r.build_log_dropped,
      buildLeaseUntil: dateOrNull(r.build_lease_until),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  protected override withChildren(items: Platform[]): Platform[] {
    if (!items.length) return items;
    const byId = new Map(items.map((p) => [p.id, p]));
    const lines = this.db.all<{ platform_id: string; line: string }>(
      `SELECT platform_id, line FROM platform_build_log WHERE platform_id ${IN_LIST} ORDER BY platform_id, seq`,
      json([...byId.keys()]),
    );
    for (const l of lines) byId.get(l.platform_id)!.buildLog.push(l.line);
    return items;
  }

  /** Inserts a whole record (create, and the import of an old snapshot); throws the store's conflict errors. */
  insert(p: Platform): void {
    try {
      this.db.run(
        `INSERT INTO platforms (id, name, distribution_id, source_ref, source_commit, manifest, status, created_by, server, path,
           build_lease_until, build_log_dropped, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        p.id, p.name, p.distributionId, p.source.ref, p.source.commit, json(p.manifest), p.status, json(p.createdBy),
        p.server, p.path, msOrNull(p.buildLeaseUntil), p.buildLogDropped ?? 0, ms(p.createdAt), ms(p.updatedAt),
      );
    } catch (e) {
      if (violatesUnique(e, 'platforms.name')) throw conflicts.platformName(p.name);
      if (violatesUnique(e, 'platforms.source_commit')) throw conflicts.platformCommit(p.source.commit);
      if (violatesForeignKey(e)) throw new NotFoundError('distribution', p.distributionId);
      throw e;
    }
    this.appendLines(p.id, p.buildLog);
  }

  private byCommit(distributionId: string, commit: string): Platform | null {
    const row = this.db.get<Row>('SELECT * FROM platforms WHERE distribution_id = ? AND source_commit = ?', distributionId, commit);
    return row ? this.withChildren([this.toDomain(row)])[0]! : null;
  }

  private createNow(input: Parameters<PlatformRepository['create']>[0]): Platform {
    const p: Platform = { id: newId(), ...newPlatformRecord(input, new Date()) };
    this.insert(p);
    return p;
  }

  async create(input: Parameters<PlatformRepository['create']>[0]) {
    return this.db.write(() => this.createNow(input));
  }

  async createIfAbsent(input: Parameters<PlatformRepository['createIfAbsent']>[0]) {
    return this.db.write(() => {
      const existing = this.byCommit(input.distributionId, input.source.commit);
      if (existing) return { platform: existing, created: false };
      return { platform: this.createNow(input), created: true };
    });
  }

  async getByName(name: string) {
    return this.db.read(() => this.findBy('name', name));
  }

  async getByCommit(distributionId: string, commit: string) {
    return this.db.read(() => this.byCommit(distributionId, commit));
  }

  async list(filter: PlatformFilter = {}, page?: PageRequest) {
    const query = new Filter().eq('distribution_id', filter.distributionId).in('status', filter.status).orderBy('created_at, rowid');
    return this.db.read(() => this.page(query, page));
  }

  async setStatus(id: string, status: PlatformStatus, from?: PlatformStatus[]) {
    return this.db.write(() => {
      // Only a `building` platform has a build lease.
      const set = `UPDATE platforms SET status = ?, updated_at = ?, build_lease_until = CASE WHEN ? = 'building' THEN build_lease_until END WHERE id = ?`;
      const { changes } = from
        ? this.db.run(`${set} AND status ${IN_LIST}`, status, Date.now(), status, id, json(from))
        : this.db.run(set, status, Date.now(), status, id);
      return changes ? this.one(id) : null;
    });
  }

  async startBuild(id: string, leaseUntil: Date, now: Date) {
    return this.db.write(() => {
      const { changes } = this.db.run(
        `UPDATE platforms SET status = 'building', build_lease_until = ?, updated_at = ?
         WHERE id = ? AND (status = 'queued' OR (status = 'building' AND ${EXPIRED_LEASE}))`,
        ms(leaseUntil), Date.now(), id, ms(now),
      );
      return changes ? this.one(id) : null;
    });
  }

  async renewBuildLease(id: string, until: Date) {
    return this.db.write(
      () => this.db.run(`UPDATE platforms SET build_lease_until = ? WHERE id = ? AND status = 'building'`, ms(until), id).changes > 0,
    );
  }

  async requeueExpiredBuilds(now: Date) {
    return this.db.write(() => {
      // One UPDATE: each expired build is requeued by exactly one caller, whoever races.
      const ids = this.db
        .all<{ id: string }>(
          `UPDATE platforms SET status = 'queued', build_lease_until = NULL, updated_at = ? WHERE status = 'building' AND ${EXPIRED_LEASE} RETURNING id`,
          Date.now(), ms(now),
        )
        .map((r) => r.id);
      if (!ids.length) return [];
      const rows = this.db.all<Row>(`SELECT * FROM platforms WHERE id ${IN_LIST} ORDER BY created_at, rowid`, json(ids));
      return this.withChildren(rows.map((r) => this.toDomain(r)));
    });
  }

  async lockAllExcept(distributionId: string, keepId: string) {
    return this.db.write(() => {
      const now = Date.now();
      const ids = (sql: string) => this.db.all<{ id: string }>(sql, now, distributionId, keepId).map((r) => r.id);
      const locked = ids(`UPDATE platforms SET status = 'locked', updated_at = ? WHERE distribution_id = ? AND id != ? AND status = 'ready' RETURNING id`);
      const unlocked = ids(`UPDATE platforms SET status = 'ready', updated_at = ? WHERE distribution_id = ? AND id = ? AND status = 'locked' RETURNING id`);
      return { locked, unlocked };
    });
  }

  async update(id: string, patch: Parameters<PlatformRepository['update']>[1]) {
    return this.db.write(() => {
      const current = this.mustRow(id);
      const clean = pickPatch(patch, PLATFORM_PATCH_KEYS);
      const source = clean.source ?? { ref: current.source_ref, commit: current.source_commit };
      try {
        this.db.run(
          'UPDATE platforms SET manifest = ?, path = ?, source_ref = ?, source_commit = ?, updated_at = ? WHERE id = ?',
          clean.manifest ? json(clean.manifest) : current.manifest,
          clean.path !== undefined ? clean.path : current.path,
          source.ref,
          source.commit,
          Date.now(),
          id,
        );
      } catch (e) {
        if (violatesUnique(e, 'platforms.source_commit')) throw conflicts.platformCommit(source.commit);
        throw e;
      }
      return this.one(id)!;
    });
  }

  /** Appends clipped lines, bounded, adding what fell off to the dropped counter. */
  private appendLines(id: string, lines: string[]): void {
    const dropped = appendLogRows(this.db, 'platform_build_log', 'platform_id', id, ['line'], lines.map((l) => [clipLine(l)]));
    if (dropped) this.db.run('UPDATE platforms SET build_log_dropped = build_log_dropped + ? WHERE id = ?', dropped, id);
  }

  async appendBuildLog(id: string, lines: string[]) {
    await this.db.write(() => {
      this.mustRow(id);
      this.appendLines(id, lines);
      this.db.run('UPDATE platforms SET updated_at = ? WHERE id = ?', Date.now(), id);
    });
  }

  async delete(id: string) {
    await this.db.write(() => {
      const row = this.mustRow(id);
      try {
        this.deleteRow(id);
      } catch (e) {
        // The service checks first; the foreign key closes the race with a site created or moved meanwhile.
        if (violatesForeignKey(e)) throw new ConflictError(`Platform \`${row.name}\` still hosts sites; migrate or delete them first.`);
        throw e;
      }
    });
  }
}

