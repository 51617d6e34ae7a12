/**
 * In-process repositories: the embedded default store and the reference the mongo adapter is tested against.
 * Every method checks and mutates without an `await` in between, so on Node's single thread each one is
 * atomic; callers get deep copies so they can never change stored state behind the store's back.
 */
import { randomBytes } from 'node:crypto';
import type { Distribution } from '../../domain/distribution.js';
import { ValidationError } from '../../domain/errors.js';
import type { Platform } from '../../domain/platform.js';
import type {
  DistributionRepository,
  Page,
  PageRequest,
  PlatformFilter,
  PlatformRepository,
  Repositories,
  SiteFilter,
  SiteRepository,
  TaskFilter,
  TaskRepository,
  UpgradePlanRepository,
} from '../../domain/ports.js';
import type { Site } from '../../domain/site.js';
import { activeKey, isActive, type Task } from '../../domain/task.js';
import type { UpgradePlan } from '../../domain/upgrade-plan.js';
import {
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
  slicePage,
  TASK_PATCH_KEYS,
} from '../records.js';
import { encodeSnapshot, readSnapshot, SnapshotWriter } from './snapshot.js';

export interface MemoryRepositoryOptions {
  /** JSON file to load state from at creation and to write after every mutation. */
  snapshotFile?: string;
  /** 'sync' (default): atomic write before the mutating call returns. 'debounced': coalesced, flushed by close(). */
  flush?: 'sync' | 'debounced';
}

interface State {
  version: 1;
  taskSeq: number;
  distributions: Record<string, Distribution>;
  platforms: Record<string, Platform>;
  sites: Record<string, Site>;
  tasks: Record<string, Task>;
  plans: Record<string, UpgradePlan>;
}

const emptyState = (): State => ({
  version: 1,
  taskSeq: 0,
  distributions: {},
  platforms: {},
  sites: {},
  tasks: {},
  plans: {},
});

/** 24 hex digits, the same shape as a Mongo ObjectId, so ids look alike whichever store made them. */
const newId = (): string => randomBytes(12).toString('hex');
const copy = <T>(x: T): T => structuredClone(x);

class Db {
  constructor(
    readonly state: State,
    private readonly onChange: () => void,
  ) {}
  changed(): void {
    this.onChange();
  }
}

const values = <T>(table: Record<string, T>): T[] => Object.values(table);
const has = <T>(list: readonly T[] | undefined, x: T): boolean => !list || list.includes(x);

class MemoryDistributions implements DistributionRepository {
  constructor(private readonly db: Db) {}
  private get t() {
    return this.db.state.distributions;
  }
  private must(id: string): Distribution {
    const d = this.t[id];
    if (!d) throw notFound('distribution', id);
    return d;
  }

  async create(input: Parameters<DistributionRepository['create']>[0]): Promise<Distribution> {
    if (values(this.t).some((d) => d.slug === input.slug)) throw conflicts.slug(input.slug);
    const d: Distribution = { id: newId(), ...copy(newDistributionRecord(input, new Date())) };
    this.t[d.id] = d;
    this.db.changed();
    return copy(d);
  }
  async get(id: string) {
    const d = this.t[id];
    return d ? copy(d) : null;
  }
  async getBySlug(slug: string) {
    const d = values(this.t).find((x) => x.slug === slug);
    return d ? copy(d) : null;
  }
  async list(page?: PageRequest): Promise<Page<Distribution>> {
    return copy(slicePage(bySlug(values(this.t)), page));
  }
  async listWithUpstream() {
    return copy(bySlug(values(this.t).filter((d) => d.upstream !== null)));
  }
  async update(id: string, patch: Parameters<DistributionRepository['update']>[1]) {
    const d = this.must(id);
    Object.assign(d, copy(pickPatch(patch, DISTRIBUTION_PATCH_KEYS)), { updatedAt: new Date() });
    this.db.changed();
    return copy(d);
  }
  async setTarget(id: string, platformId: string | null, expectedTargetId?: string | null) {
    const d = this.must(id);
    if (expectedTargetId !== undefined && d.targetPlatformId !== expectedTargetId) return null;
    d.targetPlatformId = platformId;
    d.updatedAt = new Date();
    this.db.changed();
    return copy(d);
  }
  async updatePollState(id: string, patch: Record<string, string>) {
    const d = this.must(id);
    Object.assign(d.pollState, patch);
    d.updatedAt = new Date();
    this.db.changed();
  }
  async delete(id: string) {
    this.must(id);
    delete this.t[id];
    this.db.changed();
  }
}

const bySlug = (ds: Distribution[]) => ds.sort((a, b) => cmp(a.slug, b.slug));
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

class MemoryPlatforms implements PlatformRepository {
  constructor(private readonly db: Db) {}
  private get t() {
    return this.db.state.platforms;
  }
  private must(id: string): Platform {
    const p = this.t[id];
    if (!p) throw notFound('platform', id);
    return p;
  }
  private findByCommit(distributionId: string, commit: string, exceptId?: string): Platform | undefined {
    return values(this.t).find(
      (p) => p.id !== exceptId && p.distributionId === distributionId && p.source.commit === commit,
    );
  }

  async create(input: Parameters<PlatformRepository['create']>[0]) {
    if (values(this.t).some((p) => p.name === input.name)) throw conflicts.platformName(input.name);
    if (this.findByCommit(input.distributionId, input.source.commit)) throw conflicts.platformCommit(input.source.commit);
    const p: Platform = { id: newId(), ...copy(newPlatformRecord(input, new Date())) };
    this.t[p.id] = p;
    this.db.changed();
    return copy(p);
  }
  async createIfAbsent(input: Parameters<PlatformRepository['createIfAbsent']>[0]) {
    const existing = this.findByCommit(input.distributionId, input.source.commit);
    if (existing) return { platform: copy(existing), created: false };
    return { platform: await this.create(input), created: true };
  }
  async get(id: string) {
    const p = this.t[id];
    return p ? copy(p) : null;
  }
  async getByName(name: string) {
    const p = values(this.t).find((x) => x.name === name);
    return p ? copy(p) : null;
  }
  async getByCommit(distributionId: string, commit: string) {
    const p = this.findByCommit(distributionId, commit);
    return p ? copy(p) : null;
  }
  async getMany(ids: string[]) {
    return copy(inIdOrder(ids, values(this.t)));
  }
  async list(filter: PlatformFilter = {}, page?: PageRequest) {
    const items = values(this.t)
      .filter(
        (p) =>
          (filter.distributionId === undefined || p.distributionId === filter.distributionId) &&
          has(filter.status, p.status),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    return copy(slicePage(items, page));
  }
  async setStatus(id: string, status: Platform['status'], from?: Platform['status'][]) {
    const p = this.t[id];
    if (!p || !has(from, p.status)) return null;
    p.status = status;
    p.updatedAt = new Date();
    this.db.changed();
    return copy(p);
  }
  async lockAllExcept(distributionId: string, keepId: string) {
    const locked: string[] = [];
    const unlocked: string[] = [];
    const now = new Date();
    for (const p of values(this.t)) {
      if (p.distributionId !== distributionId) continue;
      if (p.id === keepId && p.status === 'locked') {
        p.status = 'ready';
        unlocked.push(p.id);
      } else if (p.id !== keepId && p.status === 'ready') {
        p.status = 'locked';
        locked.push(p.id);
      } else continue;
      p.updatedAt = now;
    }
    if (locked.length || unlocked.length) this.db.changed();
    return { locked, unlocked };
  }
  async update(id: string, patch: Parameters<PlatformRepository['update']>[1]) {
    const p = this.must(id);
    const clean = copy(pickPatch(patch, PLATFORM_PATCH_KEYS));
    if (clean.source && this.findByCommit(p.distributionId, clean.source.commit, id)) {
      throw conflicts.platformCommit(clean.source.commit);
    }
    Object.assign(p, clean, { updatedAt: new Date() });
    this.db.changed();
    return copy(p);
  }
  async appendBuildLog(id: string, lines: string[]) {
    const p = this.must(id);
    p.buildLog.push(...lines);
    this.db.changed();
  }
  async delete(id: string) {
    this.must(id);
    delete this.t[id];
    this.db.changed();
  }
}

class MemorySites implements SiteRepository {
  constructor(private readonly db: Db) {}
  private get t() {
    return this.db.state.sites;
  }
  private must(id: string): Site {
    const s = this.t[id];
    if (!s) throw notFound('site', id);
    return s;
  }

  async create(input: Parameters<SiteRepository['create']>[0]) {
    if (values(this.t).some((s) => s.name === input.name)) throw conflicts.siteName(input.name);
    const s: Site = { id: newId(), ...copy(newSiteRecord(input, new Date())) };
    this.t[s.id] = s;
    this.db.changed();
    return copy(s);
  }
  async get(id: string) {
    const s = this.t[id];
    return s ? copy(s) : null;
  }
  async getByName(name: string) {
    const s = values(this.t).find((x) => x.name === name);
    return s ? copy(s) : null;
  }
  async getMany(ids: string[]) {
    return copy(inIdOrder(ids, values(this.t)));
  }
  async list(filter: SiteFilter = {}, page?: PageRequest) {
    const needle = filter.nameContains?.toLowerCase();
    const items = values(this.t)
      .filter(
        (s) =>
          has(filter.platformIds, s.platformId) &&
          has(filter.status, s.status) &&
          (needle === undefined || s.name.toLowerCase().includes(needle)),
      )
      .sort((a, b) => cmp(a.name, b.name));
    return copy(slicePage(items, page));
  }
  async countByPlatform(platformIds: string[]) {
    const counts: Record<string, number> = Object.fromEntries(platformIds.map((id) => [id, 0]));
    for (const s of values(this.t)) if (s.platformId in counts) counts[s.platformId]! += 1;
    return counts;
  }
  private move(siteId: string, when: (s: Site) => boolean, apply: (s: Site) => void): Site | null {
    const s = this.t[siteId];
    if (!s || !when(s)) return null;
    apply(s);
    s.updatedAt = new Date();
    this.db.changed();
    return copy(s);
  }
  async beginMigration(siteId: string, fromPlatformId: string) {
    return this.move(
      siteId,
      (s) => s.status === 'enabled' && s.platformId === fromPlatformId,
      (s) => (s.status = 'migrating'),
    );
  }
  async completeMigration(siteId: string, toPlatformId: string, taskId: string, at: Date) {
    return this.move(
      siteId,
      (s) => s.status === 'migrating',
      (s) => {
        s.status = 'enabled';
        s.platformId = toPlatformId;
        s.history.push({ platformId: toPlatformId, from: new Date(at), taskId });
      },
    );
  }
  async abortMigration(siteId: string) {
    return this.move(
      siteId,
      (s) => s.status === 'migrating',
      (s) => (s.status = 'enabled'),
    );
  }
  async update(id: string, patch: Parameters<SiteRepository['update']>[1]) {
    const s = this.must(id);
    Object.assign(s, copy(pickPatch(patch, SITE_PATCH_KEYS)), { updatedAt: new Date() });
    this.db.changed();
    return copy(s);
  }
  async delete(id: string) {
    this.must(id);
    delete this.t[id];
    this.db.changed();
  }
}

class MemoryTasks implements TaskRepository {
  constructor(private readonly db: Db) {}
  private get t() {
    return this.db.state.tasks;
  }
  private must(id: string): Task {
    const task = this.t[id];
    if (!task) throw notFound('task', id);
    return task;
  }
  private activeClash(task: Pick<Task, 'type' | 'subject'>, exceptId?: string): boolean {
    const key = activeKey(task);
    return values(this.t).some((x) => x.id !== exceptId && isActive(x.state) && activeKey(x) === key);
  }

  async create(input: Parameters<TaskRepository['create']>[0]) {
    if (this.activeClash(input)) throw conflicts.activeTask(activeKey(input));
    const number = ++this.db.state.taskSeq;
    const task: Task = { id: newId(), ...copy(newTaskRecord(input, number, new Date())) };
    this.t[task.id] = task;
    this.db.changed();
    return copy(task);
  }
  async get(id: string) {
    const task = this.t[id];
    return task ? copy(task) : null;
  }
  async getByNumber(n: number) {
    const task = values(this.t).find((x) => x.number === n);
    return task ? copy(task) : null;
  }
  async getMany(ids: string[]) {
    return copy(inIdOrder(ids, values(this.t)));
  }
  async list(filter: TaskFilter = {}, page?: PageRequest) {
    const items = values(this.t)
      .filter(
        (x) =>
          (filter.subjectId === undefined || x.subject.id === filter.subjectId) &&
          (filter.planId === undefined || x.planId === filter.planId) &&
          has(filter.type, x.type) &&
          has(filter.state, x.state),
      )
      .sort((a, b) => b.number - a.number);
    return copy(slicePage(items, page));
  }
  async transition(
    id: string,
    from: Task['state'][],
    to: Task['state'],
    patch: Parameters<TaskRepository['transition']>[3] = {},
  ) {
    const task = this.t[id];
    if (!task || !from.includes(task.state)) return null;
    if (isActive(to) && !isActive(task.state) && this.activeClash(task, id)) throw conflicts.activeTask(activeKey(task));
    Object.assign(task, copy(pickPatch(patch, TASK_PATCH_KEYS)), { state: to });
    this.db.changed();
    return copy(task);
  }
  async claim(id: string, owner: string, leaseUntil: Date, now: Date) {
    const task = this.t[id];
    if (!task || !claimable(task, now)) return null;
    task.state = 'processing';
    task.lease = { owner, until: new Date(leaseUntil) };
    task.attempts += 1;
    task.startedAt ??= new Date(now);
    this.db.changed();
    return copy(task);
  }
  async renewLease(id: string, owner: string, until: Date) {
    const task = this.t[id];
    if (!task || task.state !== 'processing' || task.lease?.owner !== owner) return false;
    task.lease = { owner, until: new Date(until) };
    this.db.changed();
    return true;
  }
  async listExpired(now: Date) {
    return copy(
      values(this.t)
        .filter((x) => x.state === 'processing' && x.lease !== null && x.lease.until < now)
        .sort((a, b) => a.number - b.number),
    );
  }
  async appendLog(id: string, lines: Task['log']) {
    this.must(id).log.push(...copy(lines));
    this.db.changed();
  }
  async setStep(id: string, step: string, checkpoint: Record<string, string> = {}) {
    const task = this.must(id);
    task.step = step;
    Object.assign(task.checkpoint, checkpoint);
    this.db.changed();
  }
}

/** A queued task, or a processing one whose worker's lease ran out. */
const claimable = (task: Task, now: Date): boolean =>
  task.state === 'queued' || (task.state === 'processing' && task.lease !== null && task.lease.until < now);

class MemoryPlans implements UpgradePlanRepository {
  constructor(private readonly db: Db) {}
  private get t() {
    return this.db.state.plans;
  }
  private must(id: string): UpgradePlan {
    const plan = this.t[id];
    if (!plan) throw notFound('upgrade plan', id);
    return plan;
  }

  async create(input: Parameters<UpgradePlanRepository['create']>[0]) {
    const plan: UpgradePlan = { id: newId(), ...copy(newPlanRecord(input, new Date())) };
    this.t[plan.id] = plan;
    this.db.changed();
    return copy(plan);
  }
  async get(id: string) {
    const plan = this.t[id];
    return plan ? copy(plan) : null;
  }
  async transition(
    id: string,
    from: UpgradePlan['state'][],
    to: UpgradePlan['state'],
    patch: Parameters<UpgradePlanRepository['transition']>[3] = {},
  ) {
    const plan = this.t[id];
    if (!plan || !from.includes(plan.state)) return null;
    Object.assign(plan, copy(pickPatch(patch, PLAN_PATCH_KEYS)), { state: to, updatedAt: new Date() });
    this.db.changed();
    return copy(plan);
  }
  async setMessage(id: string, message: { channel: string; ts: string }) {
    const plan = this.must(id);
    plan.message = { channel: message.channel, ts: message.ts };
    plan.updatedAt = new Date();
    this.db.changed();
  }
  async setTaskIds(id: string, taskIds: string[]) {
    const plan = this.must(id);
    plan.taskIds = [...taskIds];
    plan.updatedAt = new Date();
    this.db.changed();
  }
}

const TABLES = ['distributions', 'platforms', 'sites', 'tasks', 'plans'] as const;

/** A snapshot of another shape (older format, a different file) is refused rather than half-loaded. */
const checkState = (loaded: unknown, file: string): State | null => {
  if (loaded === null) return null;
  const s = loaded as Partial<State> | null;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    typeof s.taskSeq === 'number' &&
    TABLES.every((t) => typeof s[t] === 'object' && s[t] !== null && !Array.isArray(s[t]));
  if (!ok) {
    throw new ValidationError(`Store snapshot ${file} is not a Distro version 1 snapshot; it was left as it is.`, [], {
      hint: 'Point the store at another file or move this one away.',
    });
  }
  return s as State;
};

export const createMemoryRepositories = (options: MemoryRepositoryOptions = {}): Repositories => {
  const file = options.snapshotFile;
  const state: State = (file ? checkState(readSnapshot<unknown>(file), file) : null) ?? emptyState();
  const writer = file ? new SnapshotWriter(file, options.flush ?? 'sync', () => encodeSnapshot(state)) : null;
  let closed = false;
  const db = new Db(state, () => writer?.changed());
  // Write the (possibly empty) state once so the file exists from the start.
  if (writer) db.changed();
  return {
    distributions: new MemoryDistributions(db),
    platforms: new MemoryPlatforms(db),
    sites: new MemorySites(db),
    tasks: new MemoryTasks(db),
    plans: new MemoryPlans(db),
    ping: async () => !closed,
    close: async () => {
      closed = true;
      await writer?.flush();
    },
  };
};
