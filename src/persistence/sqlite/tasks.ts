/** Tasks in SQLite: one active task per (type, subject) by a partial unique index; log lines are rows. */
import type { Actor } from '../../domain/actor.js';
import type { LimitedClaim, PageRequest, TaskFilter, TaskRepository } from '../../domain/ports.js';
import { activeKey, type Task, type TaskLogLine, type TaskState } from '../../domain/task.js';
import { clipLine, conflicts, newTaskRecord, pickPatch, TASK_PATCH_KEYS } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { appendLogRows, dateOrNull, Filter, IN_LIST, json, ms, msOrNull, newId, parse, parseOrNull, SqliteTable, violatesUnique } from './rows.js';

interface Row {
  id: string;
  number: number;
  type: Task['type'];
  subject_kind: Task['subject']['kind'];
  subject_id: string;
  subject_name: string;
  from_platform_id: string | null;
  to_platform_id: string | null;
  plan_id: string | null;
  state: TaskState;
  requested_by: string;
  confirmed_by: string | null;
  step: string | null;
  checkpoint: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  error: string | null;
  log_dropped: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

type TaskPatch = NonNullable<Parameters<TaskRepository['transition']>[3]>;

/** Column assignments for a transition patch (only the keys given). */
const patchColumns = (patch: TaskPatch): Array<[string, unknown]> => {
  const clean = pickPatch(patch, TASK_PATCH_KEYS);
  const cols: Array<[string, unknown]> = [];
  if ('error' in clean) cols.push(['error', clean.error]);
  if ('startedAt' in clean) cols.push(['started_at', msOrNull(clean.startedAt)]);
  if ('finishedAt' in clean) cols.push(['finished_at', msOrNull(clean.finishedAt)]);
  if ('lease' in clean) cols.push(['lease_owner', clean.lease?.owner ?? null], ['lease_until', msOrNull(clean.lease?.until)]);
  if ('confirmedBy' in clean) cols.push(['confirmed_by', clean.confirmedBy ? json(clean.confirmedBy) : null]);
  if ('attempts' in clean) cols.push(['attempts', clean.attempts]);
  // A whole new checkpoint (a migration queued again as a new attempt), not a merge like setStep.
  if ('step' in clean) cols.push(['step', clean.step ?? null]);
  if ('checkpoint' in clean) cols.push(['checkpoint', json(clean.checkpoint ?? {})]);
  return cols;
};

/** A queued task, or a processing one whose lease expired; takes `now` as its parameter. */
const CLAIMABLE = `(state = 'queued' OR (state = 'processing' AND lease_until IS NOT NULL AND lease_until < ?))`;

export class SqliteTasks extends SqliteTable<Task, Row> implements TaskRepository {
  constructor(db: SqliteDatabase) {
    super(db, 'tasks', 'task');
  }

  protected toDomain(r: Row): Task {
    return {
      id: r.id,
      number: r.number,
      type: r.type,
      subject: { kind: r.subject_kind, id: r.subject_id, name: r.subject_name },
      fromPlatformId: r.from_platform_id,
      toPlatformId: r.to_platform_id,
      planId: r.plan_id,
      state: r.state,
      requestedBy: parse<Actor>(r.requested_by),
      confirmedBy: parseOrNull<Actor>(r.confirmed_by),
      log: [],
      logDropped: r.log_dropped,
      step: r.step,
      checkpoint: parse(r.checkpoint),
      attempts: r.attempts,
      lease: r.lease_owner !== null && r.lease_until !== null ? { owner: r.lease_owner, until: new Date(r.lease_until) } : null,
      error: r.error,
      createdAt: new Date(r.created_at),
      startedAt: dateOrNull(r.started_at),
      finishedAt: dateOrNull(r.finished_at),
    };
  }

  protected override withChildren(items: Task[]): Task[] {
    if (!items.length) return items;
    const byId = new Map(items.map((t) => [t.id, t]));
    const lines = this.db.all<{ task_id: string; at: number; level: TaskLogLine['level']; message: string }>(
      `SELECT task_id, at, level, message FROM task_log WHERE task_id ${IN_LIST} ORDER BY task_id, seq`,
      json([...byId.keys()]),
    );
    for (const l of lines) byId.get(l.task_id)!.log.push({ at: new Date(l.at), level: l.level, message: l.message });
    return items;
  }

  /** Inserts a whole record (create, and the import of an old snapshot). */
  insert(t: Task): void {
    try {
      this.db.run(
        `INSERT INTO tasks (id, number, type, subject_kind, subject_id, subject_name, from_platform_id, to_platform_id, plan_id, state,
           requested_by, confirmed_by, step, checkpoint, attempts, lease_owner, lease_until, error, log_dropped, created_at, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        t.id, t.number, t.type, t.subject.kind, t.subject.id, t.subject.name, t.fromPlatformId, t.toPlatformId, t.planId, t.state,
        json(t.requestedBy), t.confirmedBy ? json(t.confirmedBy) : null, t.step, json(t.checkpoint), t.attempts,
        t.lease?.owner ?? null, msOrNull(t.lease?.until), t.error, t.logDropped ?? 0, ms(t.createdAt), msOrNull(t.startedAt), msOrNull(t.finishedAt),
      );
    } catch (e) {
      if (violatesUnique(e, 'tasks.subject_id')) throw conflicts.activeTask(activeKey(t));
      throw e;
    }
    this.appendLines(t.id, t.log);
  }

  async create(input: Parameters<TaskRepository['create']>[0]) {
    return this.db.write(() => {
      const number = this.db.get<{ value: number }>(
        `INSERT INTO counters (name, value) VALUES ('task', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
      )!.value;
      const t: Task = { id: newId(), ...newTaskRecord(input, number, new Date()) };
      this.insert(t);
      return t;
    });
  }

  async getByNumber(n: number) {
    return this.db.read(() => this.findBy('number', n));
  }

  async list(filter: TaskFilter = {}, page?: PageRequest) {
    const query = new Filter()
      .eq('subject_id', filter.subjectId)
      .eq('plan_id', filter.planId)
      .in('type', filter.type)
      .in('state', filter.state)
      .orderBy('number DESC');
    return this.db.read(() => this.page(query, page));
  }

  async transition(id: string, from: TaskState[], to: TaskState, patch: TaskPatch = {}) {
    return this.db.write(() => {
      const row = this.row(id);
      if (!row || !from.includes(row.state)) return null;
      const cols: Array<[string, unknown]> = [['state', to], ...patchColumns(patch)];
      try {
        this.db.run(`UPDATE tasks SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`, ...cols.map(([, v]) => v), id);
      } catch (e) {
        // Re-activating a finished task while another of its kind is active.
        if (violatesUnique(e, 'tasks.subject_id')) throw conflicts.activeTask(activeKey(this.toDomain(row)));
        throw e;
      }
      // Leaving processing frees the task's slots (claimWithinLimits).
      if (to !== 'processing') this.db.run('DELETE FROM task_slots WHERE task_id = ?', id);
      return this.one(id);
    });
  }

  async claimWithinLimits(id: string, owner: string, leaseUntil: Date, now: Date, limits: Record<string, number>): Promise<LimitedClaim> {
    return this.db.write(() => {
      if (!this.claimable(id, now)) return { task: null, busy: [] };
      const keys = Object.keys(limits).sort();
      // Slots of tasks no longer processing (a crash between leaving processing and freeing) do not count.
      const busy = keys.filter(
        (key) =>
          this.db.get<{ n: number }>(
            `SELECT COUNT(*) AS n FROM task_slots s JOIN tasks t ON t.id = s.task_id WHERE s.key = ? AND s.task_id != ? AND t.state = 'processing'`,
            key, id,
          )!.n >= limits[key]!,
      );
      if (busy.length) return { task: null, busy };
      this.db.run('DELETE FROM task_slots WHERE task_id = ?', id);
      for (const key of keys) this.db.run('INSERT INTO task_slots (task_id, key) VALUES (?, ?)', id, key);
      return { task: this.claimNow(id, owner, leaseUntil, now)!, busy: [] };
    });
  }

  /** A queued task, or a processing one whose worker's lease ran out. */
  private claimable(id: string, now: Date): boolean {
    return (
      this.db.get(`SELECT 1 FROM tasks WHERE id = ? AND ${CLAIMABLE}`, id, ms(now)) !== undefined
    );
  }

  private claimNow(id: string, owner: string, leaseUntil: Date, now: Date): Task | null {
    const { changes } = this.db.run(
      `UPDATE tasks SET state = 'processing', lease_owner = ?, lease_until = ?, attempts = attempts + 1, started_at = COALESCE(started_at, ?)
       WHERE id = ? AND ${CLAIMABLE}`,
      owner, ms(leaseUntil), ms(now), id, ms(now),
    );
    return changes ? this.one(id) : null;
  }

  async claim(id: string, owner: string, leaseUntil: Date, now: Date) {
    return this.db.write(() => this.claimNow(id, owner, leaseUntil, now));
  }

  async renewLease(id: string, owner: string, until: Date) {
    return this.db.write(
      () =>
        this.db.run(`UPDATE tasks SET lease_until = ? WHERE id = ? AND state = 'processing' AND lease_owner = ?`, ms(until), id, owner)
          .changes > 0,
    );
  }

  async listExpired(now: Date) {
    return this.db.read(
      () =>
        this.page(
          { where: [`state = 'processing'`, 'lease_until IS NOT NULL', 'lease_until < ?'], params: [ms(now)], order: 'number' },
          undefined,
        ).items,
    );
  }

  /** Appends clipped lines, bounded, adding what fell off to the dropped counter. */
  private appendLines(id: string, lines: TaskLogLine[]): void {
    const rows = lines.map((l) => [ms(l.at), l.level, clipLine(l.message)]);
    const dropped = appendLogRows(this.db, 'task_log', 'task_id', id, ['at', 'level', 'message'], rows);
    if (dropped) this.db.run('UPDATE tasks SET log_dropped = log_dropped + ? WHERE id = ?', dropped, id);
  }

  async appendLog(id: string, lines: TaskLogLine[]) {
    await this.db.write(() => {
      this.mustRow(id);
      this.appendLines(id, lines);
    });
  }

  async setStep(id: string, step: string, checkpoint: Record<string, string> = {}) {
    await this.db.write(() => {
      const row = this.mustRow(id);
      const merged = { ...parse<Record<string, string>>(row.checkpoint), ...checkpoint };
      this.db.run('UPDATE tasks SET step = ?, checkpoint = ? WHERE id = ?', step, json(merged), id);
    });
  }
}

