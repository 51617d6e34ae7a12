/**
 * Rollouts in SQLite: the columns that are queried (number, plan, distribution, state, version) plus the whole
 * record as JSON, so a change is one compare-and-set UPDATE on `version`.
 */
import { ConflictError } from '../../domain/errors.js';
import type { PageRequest, RolloutFilter, RolloutRepository } from '../../domain/ports.js';
import { automaticRolloutKey, newRolloutRecord, ROLLOUT_PATCH_KEYS, type NewRollout, type Rollout, type RolloutPatch } from '../../domain/rollout.js';
import { pickPatch } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { Filter, json, newId, SqliteTable, violatesUnique } from './rows.js';

interface Row {
  id: string;
  number: number;
  plan_id: string;
  distribution_id: string;
  state: string;
  version: number;
  created_at: number;
  data: string;
}

const DATE_KEYS = new Set(['at', 'pausedAt', 'resumedAt', 'cancelledAt', 'waitingUntil', 'createdAt', 'updatedAt', 'finishedAt', 'startedAt']);

/** JSON of a rollout back to one with Dates (every date field, in the record and its waves, is an ISO string). */
const revive = (text: string): Rollout =>
  JSON.parse(text, (key, value: unknown) => (DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value)) as Rollout;

export class SqliteRollouts extends SqliteTable<Rollout, Row> implements RolloutRepository {
  constructor(db: SqliteDatabase) {
    super(db, 'rollouts', 'rollout');
  }

  protected toDomain(r: Row): Rollout {
    return { ...revive(r.data), id: r.id, number: r.number, version: r.version };
  }

  async create(input: NewRollout): Promise<Rollout> {
    return this.db.write(() => {
      const number = (this.db.get<{ n: number | null }>('SELECT MAX(number) AS n FROM rollouts')!.n ?? 0) + 1;
      const rollout: Rollout = { id: newId(), ...newRolloutRecord(input, number, new Date()) };
      try {
        this.db.run(
          `INSERT INTO rollouts (id, number, plan_id, distribution_id, state, version, created_at, data, auto_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          rollout.id, number, rollout.planId, rollout.distributionId, rollout.state, rollout.version, rollout.createdAt.getTime(), json(rollout),
          automaticRolloutKey(rollout),
        );
      } catch (e) {
        if (violatesUnique(e, 'plan_id')) throw new ConflictError(`The upgrade ${input.planId} already has a rollout.`);
        if (violatesUnique(e, 'auto_key')) throw new ConflictError(`The advisory event ${input.security?.advisoryEventId ?? ''} already started a rollout.`);
        throw e;
      }
      return rollout;
    });
  }

  async getByNumber(n: number): Promise<Rollout | null> {
    return this.db.read(() => this.findBy('number', n));
  }

  async getByPlan(planId: string): Promise<Rollout | null> {
    return this.db.read(() => this.findBy('plan_id', planId));
  }

  async getAutomatic(advisoryEventId: string, distributionId: string): Promise<Rollout | null> {
    const key = automaticRolloutKey({ distributionId, security: { advisoryEventId, automatic: true } });
    return this.db.read(() => this.findBy('auto_key', key));
  }

  async list(filter: RolloutFilter = {}, page?: PageRequest) {
    const query = new Filter().eq('distribution_id', filter.distributionId).in('state', filter.state).orderBy('number DESC');
    return this.db.read(() => this.page(query, page));
  }

  async update(id: string, version: number, patch: RolloutPatch): Promise<Rollout | null> {
    return this.db.write(() => {
      const current = this.one(id);
      if (!current || current.version !== version) return null;
      const next: Rollout = { ...current, ...pickPatch(patch, ROLLOUT_PATCH_KEYS), version: version + 1, updatedAt: new Date() };
      const changed = this.db.run(
        'UPDATE rollouts SET state = ?, version = ?, data = ? WHERE id = ? AND version = ?',
        next.state, next.version, json(next), id, version,
      ).changes;
      return changed ? next : null;
    });
  }
}
