/** Upgrade plans in SQLite. */
import type { Actor } from '../../domain/actor.js';
import type { PageRequest, PlanFilter, UpgradePlanRepository } from '../../domain/ports.js';
import type { PlanSkip, PlanState, UpgradePlan } from '../../domain/upgrade-plan.js';
import { newPlanRecord, notFound, pickPatch, PLAN_PATCH_KEYS } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { Filter, IN_LIST, json, ms, newId, parse, parseOrNull, SqliteTable } from './rows.js';

interface Row {
  id: string;
  distribution_id: string;
  target_platform_id: string;
  scope: string;
  moves: string;
  blocked: number;
  state: PlanState;
  requested_by: string;
  confirmed_by: string | null;
  task_ids: string;
  message: string | null;
  skipped: string | null;
  created_at: number;
  updated_at: number;
}

type PlanPatch = NonNullable<Parameters<UpgradePlanRepository['transition']>[3]>;

export class SqlitePlans extends SqliteTable<UpgradePlan, Row> implements UpgradePlanRepository {
  constructor(db: SqliteDatabase) {
    super(db, 'plans', 'upgrade plan');
  }

  protected toDomain(r: Row): UpgradePlan {
    return {
      id: r.id,
      distributionId: r.distribution_id,
      targetPlatformId: r.target_platform_id,
      scope: parse(r.scope),
      moves: parse(r.moves),
      blocked: r.blocked === 1,
      state: r.state,
      requestedBy: parse<Actor>(r.requested_by),
      confirmedBy: parseOrNull<Actor>(r.confirmed_by),
      taskIds: parse(r.task_ids),
      skipped: parseOrNull<PlanSkip[]>(r.skipped),
      message: parseOrNull(r.message),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  /** Inserts a whole record (create, and the import of an old snapshot). */
  insert(p: UpgradePlan): void {
    this.db.run(
      `INSERT INTO plans (id, distribution_id, target_platform_id, scope, moves, blocked, state, requested_by, confirmed_by, task_ids, skipped, message,
         created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.id, p.distributionId, p.targetPlatformId, json(p.scope), json(p.moves), p.blocked ? 1 : 0, p.state, json(p.requestedBy),
      p.confirmedBy ? json(p.confirmedBy) : null, json(p.taskIds), p.skipped ? json(p.skipped) : null, p.message ? json(p.message) : null,
      ms(p.createdAt), ms(p.updatedAt),
    );
  }

  async create(input: Parameters<UpgradePlanRepository['create']>[0]) {
    return this.db.write(() => {
      const plan: UpgradePlan = { id: newId(), ...newPlanRecord(input, new Date()) };
      this.insert(plan);
      return plan;
    });
  }

  private set(id: string, assignments: Array<[string, unknown]>, extraWhere = '', extraParams: unknown[] = []): number {
    const cols: Array<[string, unknown]> = [...assignments, ['updated_at', Date.now()]];
    return this.db.run(
      `UPDATE plans SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?${extraWhere}`,
      ...cols.map(([, v]) => v),
      id,
      ...extraParams,
    ).changes;
  }

  async transition(id: string, from: PlanState[], to: PlanState, patch: PlanPatch = {}) {
    return this.db.write(() => {
      const clean = pickPatch(patch, PLAN_PATCH_KEYS);
      const cols: Array<[string, unknown]> = [['state', to]];
      if ('confirmedBy' in clean) cols.push(['confirmed_by', clean.confirmedBy ? json(clean.confirmedBy) : null]);
      if ('taskIds' in clean) cols.push(['task_ids', json(clean.taskIds)]);
      const changed = this.set(id, cols, ` AND state ${IN_LIST}`, [json(from)]);
      return changed ? this.one(id) : null;
    });
  }

  async setMessage(id: string, message: { channel: string; ts: string }) {
    await this.db.write(() => {
      if (!this.set(id, [['message', json({ channel: message.channel, ts: message.ts })]])) throw notFound(this.entity, id);
    });
  }

  async setTaskIds(id: string, taskIds: string[], skipped?: PlanSkip[]) {
    await this.db.write(() => {
      const cols: Array<[string, unknown]> = [['task_ids', json(taskIds)]];
      if (skipped) cols.push(['skipped', json(skipped)]);
      if (!this.set(id, cols)) throw notFound(this.entity, id);
    });
  }

  async list(filter: PlanFilter = {}, page?: PageRequest) {
    // Newest first; plans made in the same millisecond, the later inserted first.
    const query = new Filter().eq('distribution_id', filter.distributionId).in('state', filter.state).orderBy('created_at DESC, rowid DESC');
    return this.db.read(() => this.page(query, page));
  }
}
