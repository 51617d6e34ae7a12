/**
 * Mongoose repositories: the same behaviour as the SQLite ones (both run the contract suite), with races
 * settled by the database: unique indexes for uniqueness, single findOneAndUpdate calls whose filter holds the
 * expected current state for every compare-and-set, and a counters collection for task numbers.
 */
import mongoose, { type Connection, type Model } from 'mongoose';
import type { Distribution, PollOutcome } from '../../domain/distribution.js';
import { ConflictError } from '../../domain/errors.js';
import type { Platform } from '../../domain/platform.js';
import type {
  DistributionRepository,
  PageRequest,
  PlanFilter,
  PlatformFilter,
  PlatformRepository,
  Repositories,
  SiteFilter,
  SiteRepository,
  TaskFilter,
  TaskRepository,
  UpgradePlanRepository,
  LimitedClaim,
} from '../../domain/ports.js';
import type { Site } from '../../domain/site.js';
import { activeKey, isActive, type Task } from '../../domain/task.js';
import type { PlanSkip, UpgradePlan } from '../../domain/upgrade-plan.js';
import {
  assertPage,
  clipLine,
  LOG_MAX_LINES,
  conflicts,
  DISTRIBUTION_PATCH_KEYS,
  inIdOrder,
  newDistributionRecord,
  newPlanRecord,
  newPlatformRecord,
  newSiteRecord,
  newTaskRecord,
  notFound,
  pickPatch,
  PLAN_PATCH_KEYS,
  PLATFORM_PATCH_KEYS,
  SITE_PATCH_KEYS,
  TASK_PATCH_KEYS,
} from '../records.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import { defineModels, toObjectId, type DistroModels } from './models.js';
import { MongoRedeliveries } from './mongo-redeliveries.js';

type Raw = Record<string, unknown>;
type Filter = Record<string, unknown>;
type Update = Record<string, unknown>;

// Record<string,string> maps keyed by user data (tags like `12.4.2`, file paths) may hold '.' and '$',
// which Mongo reads as paths/operators; percent-encode them so `$set: {'pollState.<key>'}` stays one field.
export const encodeKey = (k: string): string => k.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
export const decodeKey = (k: string): string => k.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
const mapKeys = (obj: unknown, f: (k: string) => string): Record<string, string> =>
  Object.fromEntries(Object.entries((obj ?? {}) as Record<string, string>).map(([k, v]) => [f(k), v]));

type DuplicateKeyError = { code: number; keyPattern?: Record<string, unknown> };
const duplicateOn = (e: DuplicateKeyError, field: string): boolean =>
  Object.keys(e.keyPattern ?? {}).includes(field);

/** Plain domain object: string id, no `_id`/bookkeeping fields. */
const plain = <T>(doc: Raw | null, fix?: (d: Raw) => void): T | null => {
  if (!doc) return null;
  const { _id, activeKey: _k, __v: _v, ...rest } = doc;
  const out: Raw = { id: String((_id as mongoose.Types.ObjectId).toHexString?.() ?? _id), ...rest };
  fix?.(out);
  return out as T;
};

const fixDistribution = (d: Raw) => {
  d.pollState = mapKeys(d.pollState, decodeKey);
  d.lastPoll ??= null;
};
/** Stored as a running total of appended lines (one atomic $inc beside the capped $push); read as lines dropped. */
const droppedFrom = (d: Raw, countField: string, linesField: string, droppedField: string) => {
  const kept = (d[linesField] as unknown[] | undefined)?.length ?? 0;
  d[droppedField] = Math.max(0, ((d[countField] as number | undefined) ?? kept) - kept);
  delete d[countField];
};
const fixTask = (d: Raw) => {
  d.checkpoint = mapKeys(d.checkpoint, decodeKey);
  droppedFrom(d, 'logCount', 'log', 'logDropped');
};
const fixPlatform = (d: Raw) => {
  droppedFrom(d, 'buildLogCount', 'buildLog', 'buildLogDropped');
  d.buildLeaseUntil ??= null;
  const m = d.manifest as { files?: unknown; tree?: unknown } | undefined;
  if (!m) return;
  m.files = mapKeys(m.files, decodeKey);
  if (m.tree) m.tree = mapKeys(m.tree, decodeKey);
};
const encodeManifest = <M extends { files: Record<string, string>; tree?: Record<string, string> }>(m: M): M => ({
  ...m,
  files: mapKeys(m.files, encodeKey),
  ...(m.tree ? { tree: mapKeys(m.tree, encodeKey) } : {}),
});

const AFTER = { returnDocument: 'after' } as const;

/** A build lease that ran out, or none at all (a platform from before build leases). */
const expiredLease = (now: Date): Filter => ({ $or: [{ buildLeaseUntil: { $lt: now } }, { buildLeaseUntil: null }] });

/** Thin typed helpers over one model; `fix` turns stored encodings back into domain values. */
class Collection<T extends { id: string }> {
  constructor(
    readonly model: Model<unknown>,
    private readonly entity: string,
    private readonly fix?: (d: Raw) => void,
  ) {}

  toDomain(doc: unknown): T | null {
    return plain<T>(doc as Raw | null, this.fix);
  }
  /** Inserts; a unique-index violation becomes the ConflictError `onDuplicate` makes. */
  async insert(record: object, onDuplicate?: (e: DuplicateKeyError) => Error): Promise<T> {
    try {
      const created = await this.model.create(record);
      return this.toDomain((created as unknown as { toObject(): Raw }).toObject())!;
    } catch (e) {
      throw onDuplicate && isDuplicateKey(e) ? onDuplicate(e) : e;
    }
  }
  async get(id: string): Promise<T | null> {
    const _id = toObjectId(id);
    return _id ? this.toDomain(await this.model.findById(_id).lean()) : null;
  }
  async findOne(filter: Filter): Promise<T | null> {
    return this.toDomain(await this.model.findOne(filter).lean());
  }
  async getMany(ids: string[]): Promise<T[]> {
    const oids = ids.map(toObjectId).filter((x) => x !== null);
    const docs = await this.model.find({ _id: { $in: oids } }).lean();
    return inIdOrder(ids, docs.map((d) => this.toDomain(d)!));
  }
  async find(filter: Filter, sort: Record<string, 1 | -1>, page?: PageRequest): Promise<{ items: T[]; total: number }> {
    assertPage(page);
    let q = this.model.find(filter).sort(sort);
    if (page) q = q.skip(page.offset).limit(page.limit);
    // limit(0) means "no limit" to Mongo; an empty page is what limit 0 asks for.
    const [docs, total] = await Promise.all([
      page?.limit === 0 ? Promise.resolve([]) : q.lean(),
      this.model.countDocuments(filter),
    ]);
    return { items: (docs as unknown[]).map((d) => this.toDomain(d)!), total };
  }
  /** Compare-and-set: null when the filter (which includes the expected state) matched nothing. */
  async cas(id: string, filter: Filter, update: Update): Promise<T | null> {
    const _id = toObjectId(id);
    if (!_id) return null;
    return this.toDomain(await this.model.findOneAndUpdate({ _id, ...filter }, update, AFTER).lean());
  }
  /** Update that must hit the document: NotFoundError otherwise. */
  async mustUpdate(id: string, update: Update): Promise<T> {
    const found = await this.cas(id, {}, update);
    if (!found) throw notFound(this.entity, id);
    return found;
  }
  async mustDelete(id: string): Promise<void> {
    const _id = toObjectId(id);
    const res = _id ? await this.model.deleteOne({ _id }) : { deletedCount: 0 };
    if (res.deletedCount !== 1) throw notFound(this.entity, id);
  }
}

class MongoDistributions implements DistributionRepository {
  private readonly c: Collection<Distribution>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.distributions, 'distribution', fixDistribution);
  }
  async create(input: Parameters<DistributionRepository['create']>[0]) {
    return this.c.insert(newDistributionRecord(input, new Date()), () => conflicts.slug(input.slug));
  }
  get(id: string) {
    return this.c.get(id);
  }
  getBySlug(slug: string) {
    return this.c.findOne({ slug });
  }
  list(page?: PageRequest) {
    return this.c.find({}, { slug: 1 }, page);
  }
  async listWithUpstream() {
    return (await this.c.find({ upstream: { $ne: null } }, { slug: 1 })).items;
  }
  update(id: string, patch: Parameters<DistributionRepository['update']>[1]) {
    return this.c.mustUpdate(id, { $set: { ...pickPatch(patch, DISTRIBUTION_PATCH_KEYS), updatedAt: new Date() } });
  }
  async setTarget(id: string, platformId: string | null, expectedTargetId?: string | null) {
    const filter = expectedTargetId === undefined ? {} : { targetPlatformId: expectedTargetId };
    const d = await this.c.cas(id, filter, { $set: { targetPlatformId: platformId, updatedAt: new Date() } });
    if (!d && !(await this.c.get(id))) throw notFound('distribution', id);
    return d;
  }
  async updatePollState(id: string, patch: Record<string, string>) {
    const $set: Update = { updatedAt: new Date() };
    for (const [k, v] of Object.entries(patch)) $set[`pollState.${encodeKey(k)}`] = v;
    await this.c.mustUpdate(id, { $set });
  }
  async recordPoll(id: string, outcome: PollOutcome) {
    await this.c.mustUpdate(id, { $set: { lastPoll: { at: outcome.at, error: outcome.error } } });
  }
  delete(id: string) {
    return this.c.mustDelete(id);
  }
}

class MongoPlatforms implements PlatformRepository {
  private readonly c: Collection<Platform>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.platforms, 'platform', fixPlatform);
  }
  async create(input: Parameters<PlatformRepository['create']>[0]) {
    const { buildLogDropped: _dropped, ...record } = newPlatformRecord(input, new Date());
    return this.c.insert({ ...record, buildLogCount: 0, manifest: encodeManifest(record.manifest) }, (e) =>
      duplicateOn(e, 'name') ? conflicts.platformName(input.name) : conflicts.platformCommit(input.source.commit),
    );
  }
  async createIfAbsent(input: Parameters<PlatformRepository['createIfAbsent']>[0]) {
    const existing = await this.getByCommit(input.distributionId, input.source.commit);
    if (existing) return { platform: existing, created: false };
    try {
      return { platform: await this.create(input), created: true };
    } catch (e) {
      // Lost the race to another creator of the same commit: theirs is the platform.
      const winner = e instanceof ConflictError ? await this.getByCommit(input.distributionId, input.source.commit) : null;
      if (winner) return { platform: winner, created: false };
      throw e;
    }
  }
  get(id: string) {
    return this.c.get(id);
  }
  getByName(name: string) {
    return this.c.findOne({ name });
  }
  getByCommit(distributionId: string, commit: string) {
    return this.c.findOne({ distributionId, 'source.commit': commit });
  }
  getMany(ids: string[]) {
    return this.c.getMany(ids);
  }
  list(filter: PlatformFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.distributionId !== undefined) f.distributionId = filter.distributionId;
    if (filter.status) f.status = { $in: filter.status };
    return this.c.find(f, { createdAt: 1, _id: 1 }, page);
  }
  setStatus(id: string, status: Platform['status'], from?: Platform['status'][]) {
    const $set: Update = { status, updatedAt: new Date(), ...(status === 'building' ? {} : { buildLeaseUntil: null }) };
    return this.c.cas(id, from ? { status: { $in: from } } : {}, { $set });
  }
  startBuild(id: string, leaseUntil: Date, now: Date) {
    return this.c.cas(
      id,
      { $or: [{ status: 'queued' }, { status: 'building', ...expiredLease(now) }] },
      { $set: { status: 'building', buildLeaseUntil: leaseUntil, updatedAt: new Date() } },
    );
  }
  async renewBuildLease(id: string, until: Date) {
    return (await this.c.cas(id, { status: 'building' }, { $set: { buildLeaseUntil: until } })) !== null;
  }
  async requeueExpiredBuilds(now: Date) {
    const candidates = (await this.c.model.find({ status: 'building', ...expiredLease(now) }, { _id: 1 }).lean()) as unknown as Array<{
      _id: mongoose.Types.ObjectId;
    }>;
    // One CAS each: of several workers noticing the same expired lease, one requeues it.
    const requeued = await Promise.all(
      candidates.map((d) =>
        this.c.cas(d._id.toHexString(), { status: 'building', ...expiredLease(now) }, { $set: { status: 'queued', buildLeaseUntil: null, updatedAt: new Date() } }),
      ),
    );
    return requeued.filter((p) => p !== null);
  }
  async lockAllExcept(distributionId: string, keepId: string) {
    const now = new Date();
    const keep = toObjectId(keepId);
    const candidates = (await this.c.model
      .find({ distributionId, status: 'ready', ...(keep ? { _id: { $ne: keep } } : {}) }, { _id: 1 })
      .lean()) as unknown as Array<{ _id: mongoose.Types.ObjectId }>;
    // One CAS per platform so the reported ids are exactly the ones this call changed.
    const locked = await Promise.all(
      candidates.map((d) =>
        this.c.cas(d._id.toHexString(), { distributionId, status: 'ready' }, { $set: { status: 'locked', updatedAt: now } }),
      ),
    );
    const unlocked = await this.c.cas(keepId, { distributionId, status: 'locked' }, { $set: { status: 'ready', updatedAt: now } });
    return {
      locked: locked.flatMap((p) => (p ? [p.id] : [])),
      unlocked: unlocked ? [unlocked.id] : [],
    };
  }
  async update(id: string, patch: Parameters<PlatformRepository['update']>[1]) {
    const clean = pickPatch(patch, PLATFORM_PATCH_KEYS);
    const $set: Update = { ...clean, updatedAt: new Date() };
    if (clean.manifest) $set.manifest = encodeManifest(clean.manifest);
    try {
      return await this.c.mustUpdate(id, { $set });
    } catch (e) {
      if (isDuplicateKey(e)) throw conflicts.platformCommit(clean.source?.commit ?? '');
      throw e;
    }
  }
  async appendBuildLog(id: string, lines: string[]) {
    await this.c.mustUpdate(id, {
      $push: { buildLog: { $each: lines.map(clipLine), $slice: -LOG_MAX_LINES } },
      $inc: { buildLogCount: lines.length },
    });
  }
  delete(id: string) {
    return this.c.mustDelete(id);
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class MongoSites implements SiteRepository {
  private readonly c: Collection<Site>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.sites, 'site');
  }
  async create(input: Parameters<SiteRepository['create']>[0]) {
    return this.c.insert(newSiteRecord(input, new Date()), () => conflicts.siteName(input.name));
  }
  get(id: string) {
    return this.c.get(id);
  }
  getByName(name: string) {
    return this.c.findOne({ name });
  }
  getMany(ids: string[]) {
    return this.c.getMany(ids);
  }
  list(filter: SiteFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.platformIds) f.platformId = { $in: filter.platformIds };
    if (filter.status) f.status = { $in: filter.status };
    if (filter.nameContains !== undefined) f.name = { $regex: escapeRegExp(filter.nameContains), $options: 'i' };
    return this.c.find(f, { name: 1 }, page);
  }
  async countByPlatform(platformIds: string[]) {
    const counts: Record<string, number> = Object.fromEntries(platformIds.map((id) => [id, 0]));
    const rows = (await this.c.model.aggregate([
      { $match: { platformId: { $in: platformIds } } },
      { $group: { _id: '$platformId', n: { $sum: 1 } } },
    ])) as Array<{ _id: string; n: number }>;
    for (const r of rows) counts[r._id] = r.n;
    return counts;
  }
  beginMigration(siteId: string, fromPlatformId: string) {
    return this.c.cas(
      siteId,
      { status: 'enabled', platformId: fromPlatformId },
      { $set: { status: 'migrating', updatedAt: new Date() } },
    );
  }
  completeMigration(siteId: string, toPlatformId: string, taskId: string, at: Date) {
    return this.c.cas(
      siteId,
      { status: 'migrating' },
      {
        $set: { status: 'enabled', platformId: toPlatformId, updatedAt: new Date() },
        $push: { history: { platformId: toPlatformId, from: at, taskId } },
      },
    );
  }
  abortMigration(siteId: string) {
    return this.c.cas(siteId, { status: 'migrating' }, { $set: { status: 'enabled', updatedAt: new Date() } });
  }
  /** Explains why a guarded write on a site matched nothing. */
  private async refusal(id: string): Promise<Error> {
    const site = await this.c.get(id);
    return site ? conflicts.siteMigrating(site.name) : notFound('site', id);
  }
  async update(id: string, patch: Parameters<SiteRepository['update']>[1]) {
    const done = await this.c.cas(id, { status: { $ne: 'migrating' } }, { $set: { ...pickPatch(patch, SITE_PATCH_KEYS), updatedAt: new Date() } });
    if (!done) throw await this.refusal(id);
    return done;
  }
  async delete(id: string) {
    const oid = toObjectId(id);
    const res = oid ? await this.c.model.deleteOne({ _id: oid, status: { $ne: 'migrating' } }) : { deletedCount: 0 };
    if (res.deletedCount === 0) throw await this.refusal(id);
  }
}

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

class MongoTasks implements TaskRepository {
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
    const update: Update = { $set: { ...pickPatch(patch, TASK_PATCH_KEYS), state: to } };
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

class MongoPlans implements UpgradePlanRepository {
  private readonly c: Collection<UpgradePlan>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.plans, 'upgrade plan');
  }
  create(input: Parameters<UpgradePlanRepository['create']>[0]) {
    return this.c.insert(newPlanRecord(input, new Date()));
  }
  get(id: string) {
    return this.c.get(id);
  }
  transition(
    id: string,
    from: UpgradePlan['state'][],
    to: UpgradePlan['state'],
    patch: Parameters<UpgradePlanRepository['transition']>[3] = {},
  ) {
    return this.c.cas(
      id,
      { state: { $in: from } },
      { $set: { ...pickPatch(patch, PLAN_PATCH_KEYS), state: to, updatedAt: new Date() } },
    );
  }
  async setMessage(id: string, message: { channel: string; ts: string }) {
    await this.c.mustUpdate(id, {
      $set: { message: { channel: message.channel, ts: message.ts }, updatedAt: new Date() },
    });
  }
  async setTaskIds(id: string, taskIds: string[], skipped?: PlanSkip[]) {
    await this.c.mustUpdate(id, { $set: { taskIds, ...(skipped ? { skipped } : {}), updatedAt: new Date() } });
  }
  list(filter: PlanFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.distributionId !== undefined) f.distributionId = filter.distributionId;
    if (filter.state) f.state = { $in: filter.state };
    return this.c.find(f, { createdAt: -1, _id: -1 }, page);
  }
}

/**
 * Repositories on an open mongoose connection. Indexes are built before this resolves.
 * `close()` closes the connection: stop the job queue sharing it first.
 */
export const createMongoRepositories = async (connection: Connection): Promise<Repositories> => {
  const models = await defineModels(connection);
  return {
    distributions: new MongoDistributions(models),
    platforms: new MongoPlatforms(models),
    sites: new MongoSites(models),
    tasks: new MongoTasks(models),
    plans: new MongoPlans(models),
    redeliveries: new MongoRedeliveries(models.redeliveries),
    // No multi-document transaction (a standalone server has none): the calls run in order, each atomic.
    transaction: (fn) => fn(),
    ping: async () => {
      try {
        const res = await connection.db?.admin().command({ ping: 1 });
        return res?.ok === 1;
      } catch {
        return false;
      }
    },
    close: () => connection.close(),
  };
};

/** Opens a dedicated connection (not the mongoose default one), failing fast when the server is unreachable. */
export const connectMongo = async (uri: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<Connection> =>
  mongoose.createConnection(uri, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000 }).asPromise();
