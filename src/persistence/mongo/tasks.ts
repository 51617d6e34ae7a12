/**
 * TaskRepository on MongoDB: one active task per (type, subject) by a unique key, numbers from a counter document,
 * leases and migration slots by conditional single-document updates.
 */
import { activeKey, isActive, type Task } from '../../domain/task.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import type { PageRequest, TaskFilter, TaskRepository, LimitedClaim } from '../../domain/ports.js';
import { clipLine, LOG_MAX_LINES, conflicts, newTaskRecord, pickPatch, TASK_PATCH_KEYS } from '../records.js';
import { AFTER, Collection, decodeKey, droppedFrom, encodeKey, mapKeys, type Filter, type Raw, type Update } from './collection.js';
import { toObjectId, type DistroModels } from './models.js';

const fixTask = (d: Raw) => {
  d.checkpoint = mapKeys(d.checkpoint, decodeKey);
  droppedFrom(d, 'logCount', 'log', 'logDropped');
};

interface SlotHolder {
  taskId: string;
  at: Date;
}

interface SlotDoc {
  key: string;
  holders: SlotHolder[];
}

const SLOT_GRACE_MS = 60_000;

/** The filter of `claim`, as a predicate: queued, or processing with an expired lease. */
const claimableAt = (task: Task, now: Date): boolean =>
  task.state === 'queued' || (task.state === 'processing' && task.lease !== null && task.lease.until < now);

export class MongoTasks implements TaskRepository {
  private readonly c: Collection<Task>;
  constructor(private readonly models: DistroModels) {
    this.c = new Collection(models.tasks, 'task', fixTask);
  }
  private async nextNumber(retry = true): Promise<number> {
    try {
      const row = (await this.models.counters
        .findOneAndUpdate({ name: 'task' }, { $inc: { seq: 1 } }, { upsert: true, ...AFTER })
        .lean()) as unknown as { seq: number };
      return row.seq;
    } catch (e) {
      // Two first-ever upserts can race to insert the counter; the loser just increments the winner's.
      if (retry && isDuplicateKey(e)) return this.nextNumber(false);
      throw e;
    }
  }
  async create(input: Parameters<TaskRepository['create']>[0]) {
    const key = activeKey(input);
    // Cheap pre-check gives the common refusal without burning a task number; the index settles races.
    if (await this.c.model.exists({ activeKey: key })) throw conflicts.activeTask(key);
    const { logDropped: _dropped, ...record } = newTaskRecord(input, await this.nextNumber(), new Date());
    return this.c.insert({ ...record, logCount: 0, activeKey: key }, () => conflicts.activeTask(key));
  }
  get(id: string) {
    return this.c.get(id);
  }
  getByNumber(n: number) {
    return this.c.findOne({ number: n });
  }
  getMany(ids: string[]) {
    return this.c.getMany(ids);
  }
  list(filter: TaskFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.subjectId !== undefined) f['subject.id'] = filter.subjectId;
    if (filter.planId !== undefined) f.planId = filter.planId;
    if (filter.type) f.type = { $in: filter.type };
    if (filter.state) f.state = { $in: filter.state };
    return this.c.find(f, { number: -1 }, page);
  }
  async transition(
    id: string,
    from: Task['state'][],
    to: Task['state'],
    patch: Parameters<TaskRepository['transition']>[3] = {},
  ) {
    const clean = pickPatch(patch, TASK_PATCH_KEYS);
    if (clean.checkpoint) clean.checkpoint = mapKeys(clean.checkpoint, encodeKey) as Record<string, string>;
    const update: Update = { $set: { ...clean, state: to } };
    if (isActive(to)) {
      // type and subject never change, so reading them first cannot race with the CAS below.
      const current = await this.c.get(id);
      if (!current) return null;
      (update.$set as Update).activeKey = activeKey(current);
    } else {
      update.$unset = { activeKey: 1 };
    }
    let done: Task | null;
    try {
      done = await this.c.cas(id, { state: { $in: from } }, update);
    } catch (e) {
      if (isDuplicateKey(e)) throw conflicts.activeTask(String((update.$set as Update).activeKey));
      throw e;
    }
    // Leaving processing frees the task's slots (a crash right here leaves them stale: claimWithinLimits reclaims them).
    if (done && to !== 'processing') await this.releaseSlots(id, { 'holders.taskId': id });
    return done;
  }
  async claimWithinLimits(id: string, owner: string, leaseUntil: Date, now: Date, limits: Record<string, number>): Promise<LimitedClaim> {
    const task = await this.c.get(id);
    if (!task || !claimableAt(task, now)) return { task: null, busy: [] };
    const keys = Object.keys(limits).sort();
    const held = new Set(((await this.models.slots.find({ key: { $in: keys }, 'holders.taskId': id }).lean()) as unknown as SlotDoc[]).map((d) => d.key));
    const taken: string[] = [];
    const busy: string[] = [];
    for (const key of keys) {
      if (held.has(key)) continue;
      if (await this.takeSlot(key, limits[key]!, id)) taken.push(key);
      else busy.push(key);
    }
    const release = () => this.releaseSlots(id, { key: { $in: taken } });
    if (busy.length) {
      await release();
      return { task: null, busy };
    }
    const claimed = await this.claim(id, owner, leaseUntil, now);
    if (!claimed) {
      await release();
      return { task: null, busy: [] };
    }
    return { task: claimed, busy: [] };
  }
  private async releaseSlots(taskId: string, filter: Filter): Promise<void> {
    await this.models.slots.updateMany(filter, { $pull: { holders: { taskId } } });
  }
  /**
   * Adds `taskId` to the holders of `key` in one conditional update: it applies only while fewer than `limit`
   * tasks hold the key (no element at index limit-1, an array-length check that needs no $expr). When the key is
   * full, holders that are stale are pulled out and the update is tried again.
   */
  private async takeSlot(key: string, limit: number, taskId: string): Promise<boolean> {
    if (limit < 1) return false;
    for (let tries = 0; tries < 3; tries++) {
      const took = await this.models.slots.findOneAndUpdate(
        { key, 'holders.taskId': { $ne: taskId }, [`holders.${limit - 1}`]: { $exists: false } },
        // Wall-clock time, not the caller's `now` (which may be an instant past every lease): it dates the slot.
        { $push: { holders: { taskId, at: new Date() } } },
      );
      if (took) return true;
      const doc = (await this.models.slots.findOne({ key }).lean()) as unknown as SlotDoc | null;
      if (!doc) {
        await this.createSlotKey(key);
        continue;
      }
      const stale = await this.staleHolders(doc.holders);
      if (!stale.length) return false;
      // Pull each one only as it was read (same task, same date): a holder that re-took its slot meanwhile stays.
      for (const h of stale) await this.models.slots.updateOne({ key }, { $pull: { holders: { taskId: h.taskId, at: h.at } } });
    }
    return false;
  }
  /** The empty document of a slot key; of two racing first upserts the unique `key` index lets one insert. */
  private async createSlotKey(key: string): Promise<void> {
    try {
      await this.models.slots.updateOne({ key }, { $setOnInsert: { holders: [] } }, { upsert: true });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
  }
  /**
   * A holder is stale when its task is not processing and it took the slot more than a grace period ago (a claimant
   * takes its slots a moment before it claims the task, so a fresh holder that is queued is someone's claim in flight).
   */
  private async staleHolders(holders: SlotHolder[]): Promise<SlotHolder[]> {
    const old = holders.filter((h) => Date.now() - new Date(h.at).getTime() >= SLOT_GRACE_MS);
    const ids = old.map((h) => toObjectId(h.taskId)).filter((oid) => oid !== null);
    if (!ids.length) return old;
    const processing = (await this.c.model.find({ _id: { $in: ids }, state: 'processing' }).select({ _id: 1 }).lean()) as { _id: unknown }[];
    const live = new Set(processing.map((t) => String(t._id)));
    return old.filter((h) => !live.has(h.taskId));
  }
  async claim(id: string, owner: string, leaseUntil: Date, now: Date) {
    const claimed = await this.c.cas(
      id,
      { $or: [{ state: 'queued' }, { state: 'processing', 'lease.until': { $lt: now } }] },
      { $set: { state: 'processing', lease: { owner, until: leaseUntil } }, $inc: { attempts: 1 } },
    );
    if (claimed && claimed.startedAt === null) {
      // First claim records the start; a separate idempotent write keeps the CAS above a plain update.
      await this.c.model.updateOne({ _id: toObjectId(id), startedAt: null }, { $set: { startedAt: now } });
      claimed.startedAt = now;
    }
    return claimed;
  }
  async renewLease(id: string, owner: string, until: Date) {
    const renewed = await this.c.cas(id, { state: 'processing', 'lease.owner': owner }, { $set: { 'lease.until': until } });
    return renewed !== null;
  }
  async listExpired(now: Date) {
    return (await this.c.find({ state: 'processing', 'lease.until': { $lt: now } }, { number: 1 })).items;
  }
  async appendLog(id: string, lines: Task['log']) {
    const clipped = lines.map((l) => ({ ...l, message: clipLine(l.message) }));
    await this.c.mustUpdate(id, { $push: { log: { $each: clipped, $slice: -LOG_MAX_LINES } }, $inc: { logCount: lines.length } });
  }
  async setStep(id: string, step: string, checkpoint: Record<string, string> = {}) {
    const $set: Update = { step };
    for (const [k, v] of Object.entries(checkpoint)) $set[`checkpoint.${encodeKey(k)}`] = v;
    await this.c.mustUpdate(id, { $set });
  }
}
