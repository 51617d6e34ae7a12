/** Distributions in SQLite. */
import type { Distribution, PollOutcome } from '../../domain/distribution.js';
import { ConflictError } from '../../domain/errors.js';
import type { DistributionRepository, Page, PageRequest } from '../../domain/ports.js';
import { conflicts, DISTRIBUTION_PATCH_KEYS, newDistributionRecord, notFound, pickPatch } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { json, ms, newId, parse, parseOrNull, SqliteTable, violatesForeignKey, violatesUnique } from './rows.js';

interface Row {
  id: string;
  slug: string;
  title: string;
  description: string;
  channel: string | null;
  upstream: string | null;
  policy: string;
  target_platform_id: string | null;
  poll_state: string;
  /** JSON {at (ms), error}; null until the first poll. */
  last_poll: string | null;
  created_at: number;
  updated_at: number;
}

const storedOutcome = (o: PollOutcome | null): string | null => (o ? json({ at: ms(o.at), error: o.error }) : null);
const pollOutcome = (text: string | null): PollOutcome | null => {
  const o = parseOrNull<{ at: number; error: string | null }>(text);
  return o ? { at: new Date(o.at), error: o.error } : null;
};

const COLUMNS = ['title', 'description', 'channel', 'upstream', 'policy'] as const;

export class SqliteDistributions extends SqliteTable<Distribution, Row> implements DistributionRepository {
  constructor(db: SqliteDatabase) {
    super(db, 'distributions', 'distribution');
  }

  protected toDomain(r: Row): Distribution {
    return {
      id: r.id,
      slug: r.slug,
      title: r.title,
      description: r.description,
      channel: r.channel,
      upstream: parseOrNull(r.upstream),
      policy: parse(r.policy),
      targetPlatformId: r.target_platform_id,
      pollState: parse(r.poll_state),
      lastPoll: pollOutcome(r.last_poll),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  /** Inserts a whole record (create, and the import of an old snapshot). */
  insert(d: Distribution): void {
    this.db.run(
      `INSERT INTO distributions (id, slug, title, description, channel, upstream, policy, target_platform_id, poll_state, last_poll, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      d.id, d.slug, d.title, d.description, d.channel, d.upstream ? json(d.upstream) : null, json(d.policy),
      d.targetPlatformId, json(d.pollState), storedOutcome(d.lastPoll ?? null), ms(d.createdAt), ms(d.updatedAt),
    );
  }

  async create(input: Parameters<DistributionRepository['create']>[0]) {
    return this.db.write(() => {
      const d: Distribution = { id: newId(), ...newDistributionRecord(input, new Date()) };
      try {
        this.insert(d);
      } catch (e) {
        if (violatesUnique(e, 'distributions.slug')) throw conflicts.slug(input.slug);
        throw e;
      }
      return d;
    });
  }

  async getBySlug(slug: string) {
    return this.db.read(() => this.findBy('slug', slug));
  }

  async list(page?: PageRequest): Promise<Page<Distribution>> {
    return this.db.read(() => this.page({ where: [], params: [], order: 'slug' }, page));
  }

  async listWithUpstream() {
    return this.db.read(() => this.page({ where: ['upstream IS NOT NULL'], params: [], order: 'slug' }, undefined).items);
  }

  async update(id: string, patch: Parameters<DistributionRepository['update']>[1]) {
    return this.db.write(() => {
      const clean = pickPatch(patch, DISTRIBUTION_PATCH_KEYS);
      const sets = COLUMNS.filter((k) => k in clean);
      const values = sets.map((k) => (k === 'upstream' || k === 'policy' ? (clean[k] === null ? null : json(clean[k])) : clean[k]));
      const assignments = [...sets.map((k) => `${k} = ?`), 'updated_at = ?'].join(', ');
      if (this.db.run(`UPDATE distributions SET ${assignments} WHERE id = ?`, ...values, Date.now(), id).changes === 0) {
        throw notFound(this.entity, id);
      }
      return this.one(id)!;
    });
  }

  async setTarget(id: string, platformId: string | null, expectedTargetId?: string | null) {
    return this.db.write(() => {
      this.mustRow(id);
      const cas = expectedTargetId !== undefined;
      const { changes } = this.db.run(
        `UPDATE distributions SET target_platform_id = ?, updated_at = ? WHERE id = ?${cas ? ' AND target_platform_id IS ?' : ''}`,
        ...[platformId, Date.now(), id, ...(cas ? [expectedTargetId] : [])],
      );
      return changes ? this.one(id) : null;
    });
  }

  async updatePollState(id: string, patch: Record<string, string>) {
    await this.db.write(() => {
      const row = this.mustRow(id);
      const merged = { ...parse<Record<string, string>>(row.poll_state), ...patch };
      this.db.run('UPDATE distributions SET poll_state = ?, updated_at = ? WHERE id = ?', json(merged), Date.now(), id);
    });
  }

  async recordPoll(id: string, outcome: PollOutcome) {
    await this.db.write(() => {
      if (this.db.run('UPDATE distributions SET last_poll = ? WHERE id = ?', storedOutcome(outcome), id).changes === 0) throw notFound(this.entity, id);
    });
  }

  async delete(id: string) {
    await this.db.write(() => {
      try {
        this.deleteRow(id);
      } catch (e) {
        // The service checks first; the foreign key closes the race with a platform created meanwhile.
        if (violatesForeignKey(e)) throw new ConflictError('This distribution still has platforms; delete them first.');
        throw e;
      }
    });
  }
}
