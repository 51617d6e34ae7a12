/**
 * The embedded store Distro had before SQLite, kept only as the baseline of `npm run bench:store`: in-process
 * state written whole to a JSON snapshot after every change (no fsync). Not used by the app or the tests.
 * Every method checks and mutates without an `await` in between, so on Node's single thread each one is
 * atomic; callers get deep copies so they can never change stored state behind the store's back.
 * Ports added after it was frozen are here only so the app starts on it: build leases and plan lists as the old
 * store had them; slot-bounded claims and redeliveries, which the benchmark never reaches, throw.
 */
import type { Distribution } from '../../src/domain/distribution.js';
import { ValidationError } from '../../src/domain/errors.js';
import type { Platform } from '../../src/domain/platform.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { Hold } from '../../src/domain/hold.js';
import type {
  AuditStore,
  HoldStore,
  DistributionRepository,
  Page,
  PageRequest,
  PlanFilter,
  PlatformFilter,
  PlatformRepository,
  Repositories,
  LimitedClaim,
  RedeliveryStore,
  AdvisoryRepository,
  SiteFilter,
  SiteRepository,
  TaskFilter,
  TaskRepository,
  UpgradePlanRepository,
} from '../../src/domain/ports.js';
import type { Site } from '../../src/domain/site.js';
import { activeKey, isActive, type Task } from '../../src/domain/task.js';
import type { UpgradePlan } from '../../src/domain/upgrade-plan.js';
import {
  conflicts,
  deepCopy,
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
} from '../../src/persistence/records.js';
import { isSnapshot, type Snapshot } from '../../src/persistence/sqlite/import-snapshot.js';
import { newId } from '../../src/persistence/sqlite/rows.js';
import { encodeSnapshot, readSnapshot, SnapshotWriter } from './snapshot.js';

export interface MemoryRepositoryOptions {
  /** JSON file to load state from at creation and to write after every mutation. */
  snapshotFile?: string;
  /** 'sync' (default): atomic write before the mutating call returns. 'debounced': coalesced, flushed by close(). */
  flush?: 'sync' | 'debounced';
}

type State = Snapshot;

const emptyState = (): State => ({
  version: 1,
  taskSeq: 0,
  distributions: {},
  platforms: {},
  sites: {},
  tasks: {},
  plans: {},
});

const copy = deepCopy;

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

/** One table of the state: the lookups every repository needs, returning copies. */
class Table<T extends { id: string }> {
  constructor(
    protected readonly db: Db,
    private readonly table: { [K in keyof State]: State[K] extends Record<string, T> ? K : never }[keyof State],
    private readonly entity: string,
  ) {}
  protected get t(): Record<string, T> {
    return this.db.state[this.table] as unknown as Record<string, T>;
  }
  protected must(id: string): T {
    const x = this.t[id];
    if (!x) throw notFound(this.entity, id);
    return x;
  }
  protected find(pred: (x: T) => boolean): T | undefined {
    return values(this.t).find(pred);
  }
  protected insert(record: Omit<T, 'id'>): T {
    const x = { id: newId(), ...copy(record) } as T;
    this.t[x.id] = x;
    this.db.changed();
    return copy(x);
  }
  async get(id: string): Promise<T | null> {
    const x = this.t[id];
    return x ? copy(x) : null;
  }
  async getMany(ids: string[]): Promise<T[]> {
    return copy(inIdOrder(ids, values(this.t)));
  }
  async delete(id: string): Promise<void> {
    this.must(id);
    delete this.t[id];
    this.db.changed();
  }
  /** Applies `change` and bumps updatedAt (for entities that have one); returns a copy. */
  protected touch(x: T, change: Partial<T> = {}): T {
    Object.assign(x, change, 'updatedAt' in x ? { updatedAt: new Date() } : {});
    this.db.changed();
    return copy(x);
  }
}

class MemoryDistributions extends Table<Distribution> implements DistributionRepository {
  constructor(db: Db) {
    super(db, 'distributions', 'distribution');
  }
  async create(input: Parameters<DistributionRepository['create']>[0]) {
    if (this.find((d) => d.slug === input.slug)) throw conflicts.slug(input.slug);
    return this.insert(newDistributionRecord(input, new Date()));
  }
  async getBySlug(slug: string) {
    return copy(this.find((d) => d.slug === slug) ?? null);
  }
  async list(page?: PageRequest): Promise<Page<Distribution>> {
    return copy(slicePage(bySlug(values(this.t)), page));
  }
  async listWithUpstream() {
    return copy(bySlug(values(this.t).filter((d) => d.upstream !== null)));
  }
  async update(id: string, patch: Parameters<DistributionRepository['update']>[1]) {
    return this.touch(this.must(id), copy(pickPatch(patch, DISTRIBUTION_PATCH_KEYS)));
  }
  async setTarget(id: string, platformId: string | null, expectedTargetId?: string | null) {
    const d = this.must(id);
    if (expectedTargetId !== undefined && d.targetPlatformId !== expectedTargetId) return null;
    return this.touch(d, { targetPlatformId: platformId });
  }
  async updatePollState(id: string, patch: Record<string, string>) {
    const d = this.must(id);
    this.touch(d, { pollState: { ...d.pollState, ...patch } });
  }
  async recordPoll(id: string, outcome: Distribution['lastPoll']) {
    Object.assign(this.must(id), { lastPoll: outcome });
    this.db.changed();
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const bySlug = (ds: Distribution[]) => ds.sort((a, b) => cmp(a.slug, b.slug));

class MemoryPlatforms extends Table<Platform> implements PlatformRepository {
  constructor(db: Db) {
    super(db, 'platforms', 'platform');
  }
  private byCommit(distributionId: string, commit: string, exceptId?: string): Platform | undefined {
    return this.find((p) => p.id !== exceptId && p.distributionId === distributionId && p.source.commit === commit);
  }
  async create(input: Parameters<PlatformRepository['create']>[0]) {
    if (this.find((p) => p.name === input.name)) throw conflicts.platformName(input.name);
    if (this.byCommit(input.distributionId, input.source.commit)) throw conflicts.platformCommit(input.source.commit);
    return this.insert(newPlatformRecord(input, new Date()));
  }
  async createIfAbsent(input: Parameters<PlatformRepository['createIfAbsent']>[0]) {
    const existing = this.byCommit(input.distributionId, input.source.commit);
    if (existing) return { platform: copy(existing), created: false };
    return { platform: await this.create(input), created: true };
  }
  async getByName(name: string) {
    return copy(this.find((p) => p.name === name) ?? null);
  }
  async getByCommit(distributionId: string, commit: string) {
    return copy(this.byCommit(distributionId, commit) ?? null);
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
    return this.touch(p, { status });
  }
  async lockAllExcept(distributionId: string, keepId: string) {
    const locked: string[] = [];
    const unlocked: string[] = [];
    for (const p of values(this.t)) {
      if (p.distributionId !== distributionId) continue;
      if (p.id === keepId && p.status === 'locked') {
        this.touch(p, { status: 'ready' });
        unlocked.push(p.id);
      } else if (p.id !== keepId && p.status === 'ready') {
        this.touch(p, { status: 'locked' });
        locked.push(p.id);
      }
    }
    return { locked, unlocked };
  }
  async update(id: string, patch: Parameters<PlatformRepository['update']>[1]) {
    const p = this.must(id);
    const clean = copy(pickPatch(patch, PLATFORM_PATCH_KEYS));
    if (clean.source && this.byCommit(p.distributionId, clean.source.commit, id)) {
      throw conflicts.platformCommit(clean.source.commit);
    }
    return this.touch(p, clean);
  }
  async appendBuildLog(id: string, lines: string[]) {
    const p = this.must(id);
    this.touch(p, { buildLog: [...p.buildLog, ...lines] });
  }
  async startBuild(id: string, leaseUntil: Date, now: Date) {
    const p = this.t[id];
    if (!p || !(p.status === 'queued' || (p.status === 'building' && leaseExpired(p, now)))) return null;
    return this.touch(p, { status: 'building', buildLeaseUntil: new Date(leaseUntil) });
  }
  async renewBuildLease(id: string, until: Date) {
    const p = this.t[id];
    if (!p || p.status !== 'building') return false;
    this.touch(p, { buildLeaseUntil: new Date(until) });
    return true;
  }
  async requeueExpiredBuilds(now: Date) {
    const expired = values(this.t).filter((p) => p.status === 'building' && leaseExpired(p, now));
    return expired.map((p) => this.touch(p, { status: 'queued', buildLeaseUntil: null }));
  }
}

const leaseExpired = (p: Platform, now: Date): boolean => !p.buildLeaseUntil || p.buildLeaseUntil.getTime() < now.getTime();

class MemorySites extends Table<Site> implements SiteRepository {
  constructor(db: Db) {
    super(db, 'sites', 'site');
  }
  async create(input: Parameters<SiteRepository['create']>[0]) {
    if (this.find((s) => s.name === input.name)) throw conflicts.siteName(input.name);
    return this.insert(newSiteRecord(input, new Date()));
  }
  async getByName(name: string) {
    return copy(this.find((s) => s.name === name) ?? null);
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
  /** Compare-and-set on one site: applies `change` only when `when` holds. */
  private cas(siteId: string, when: (s: Site) => boolean, change: (s: Site) => Partial<Site>): Site | null {
    const s = this.t[siteId];
    return s && when(s) ? this.touch(s, change(s)) : null;
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
        history: [...s.history, { platformId: toPlatformId, from: new Date(at), taskId }],
      }),
    );
  }
  async abortMigration(siteId: string) {
    return this.cas(siteId, (s) => s.status === 'migrating', () => ({ status: 'enabled' }));
  }
  private mustNotMigrate(id: string): Site {
    const s = this.must(id);
    if (s.status === 'migrating') throw conflicts.siteMigrating(s.name);
    return s;
  }
  async update(id: string, patch: Parameters<SiteRepository['update']>[1]) {
    return this.touch(this.mustNotMigrate(id), copy(pickPatch(patch, SITE_PATCH_KEYS)));
  }
  override async delete(id: string) {
    this.mustNotMigrate(id);
    return super.delete(id);
  }
}

class MemoryTasks extends Table<Task> implements TaskRepository {
  constructor(db: Db) {
    super(db, 'tasks', 'task');
  }
  private activeClash(task: Pick<Task, 'type' | 'subject'>, exceptId?: string): boolean {
    const key = activeKey(task);
    return this.find((x) => x.id !== exceptId && isActive(x.state) && activeKey(x) === key) !== undefined;
  }
  async create(input: Parameters<TaskRepository['create']>[0]) {
    if (this.activeClash(input)) throw conflicts.activeTask(activeKey(input));
    return this.insert(newTaskRecord(input, ++this.db.state.taskSeq, new Date()));
  }
  async getByNumber(n: number) {
    return copy(this.find((x) => x.number === n) ?? null);
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
    return this.touch(task, { ...copy(pickPatch(patch, TASK_PATCH_KEYS)), state: to });
  }
  async claim(id: string, owner: string, leaseUntil: Date, now: Date) {
    const task = this.t[id];
    if (!task || !claimable(task, now)) return null;
    return this.touch(task, {
      state: 'processing',
      lease: { owner, until: new Date(leaseUntil) },
      attempts: task.attempts + 1,
      startedAt: task.startedAt ?? new Date(now),
    });
  }
  async renewLease(id: string, owner: string, until: Date) {
    const task = this.t[id];
    if (!task || task.state !== 'processing' || task.lease?.owner !== owner) return false;
    this.touch(task, { lease: { owner, until: new Date(until) } });
    return true;
  }
  async listExpired(now: Date) {
    const expired = values(this.t).filter((x) => x.state === 'processing' && x.lease !== null && x.lease.until < now);
    return copy(expired.sort((a, b) => a.number - b.number));
  }
  async appendLog(id: string, lines: Task['log']) {
    const task = this.must(id);
    this.touch(task, { log: [...task.log, ...copy(lines)] });
  }
  async setStep(id: string, step: string, checkpoint: Record<string, string> = {}) {
    const task = this.must(id);
    this.touch(task, { step, checkpoint: { ...task.checkpoint, ...checkpoint } });
  }
  async claimWithinLimits(): Promise<LimitedClaim> {
    throw notInBaseline('TaskRepository.claimWithinLimits');
  }
}

/** A queued task, or a processing one whose worker's lease ran out. */
const claimable = (task: Task, now: Date): boolean =>
  task.state === 'queued' || (task.state === 'processing' && task.lease !== null && task.lease.until < now);

class MemoryPlans extends Table<UpgradePlan> implements UpgradePlanRepository {
  constructor(db: Db) {
    super(db, 'plans', 'upgrade plan');
  }
  async create(input: Parameters<UpgradePlanRepository['create']>[0]) {
    return this.insert(newPlanRecord(input, new Date()));
  }
  async transition(
    id: string,
    from: UpgradePlan['state'][],
    to: UpgradePlan['state'],
    patch: Parameters<UpgradePlanRepository['transition']>[3] = {},
  ) {
    const plan = this.t[id];
    if (!plan || !from.includes(plan.state)) return null;
    return this.touch(plan, { ...copy(pickPatch(patch, PLAN_PATCH_KEYS)), state: to });
  }
  async setMessage(id: string, message: { channel: string; ts: string }) {
    this.touch(this.must(id), { message: { channel: message.channel, ts: message.ts } });
  }
  async setTaskIds(id: string, taskIds: string[]) {
    this.touch(this.must(id), { taskIds: [...taskIds] });
  }
  async list(filter: PlanFilter = {}, page?: PageRequest) {
    const items = values(this.t)
      .filter((x) => (filter.distributionId === undefined || x.distributionId === filter.distributionId) && has(filter.state, x.state))
      .reverse()
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return copy(slicePage(items, page));
  }
}

const notInBaseline = (what: string): Error => new Error(`${what} is not in the benchmark's baseline store.`);

const noRedeliveries: RedeliveryStore = {
  seen: () => Promise.reject(notInBaseline('RedeliveryStore.seen')),
  forget: () => Promise.reject(notInBaseline('RedeliveryStore.forget')),
  claim: () => Promise.reject(notInBaseline('RedeliveryStore.claim')),
  complete: () => Promise.reject(notInBaseline('RedeliveryStore.complete')),
};

/** The old store predates the advisory feed: every call says so. */
// The old store had no advisories: reads find none (the app's start lists unannounced events), writes are refused.
const noAdvisories = new Proxy({} as AdvisoryRepository, {
  get: (_t, prop) => {
    const name = String(prop);
    if (name.startsWith('list')) return () => Promise.resolve({ items: [], total: 0 });
    if (name.startsWith('get')) return () => Promise.resolve(null);
    return () => Promise.reject(notInBaseline(`AdvisoryRepository.${name}`));
  },
});

/** A snapshot of another shape (older format, a different file) is refused rather than half-loaded. */
const checkState = (loaded: unknown, file: string): State | null => {
  if (loaded === null) return null;
  if (!isSnapshot(loaded)) {
    throw new ValidationError(`Store snapshot ${file} is not a Distro version 1 snapshot; it was left as it is.`, [], {
      hint: 'Point the store at another file or move this one away.',
    });
  }
  return loaded;
};

/** The audit log and holds came after the freeze: kept in memory only (not in the snapshot), so the app runs. */
const memoryAudit = (): AuditStore => {
  const entries: AuditEntry[] = [];
  return {
    append: async (e) => {
      const entry = { id: String(entries.length + 1), ...e };
      entries.push(entry);
      return entry;
    },
    list: async (_filter, page) => ({ items: entries.slice(-page.limit).reverse(), next: null }),
  };
};
const memoryHolds = (): HoldStore => {
  const holds = new Map<string, Hold>();
  return {
    set: async (h) => (holds.set(`${h.kind}:${h.subjectId}`, h), h),
    clear: async (kind, id) => {
      const h = holds.get(`${kind}:${id}`) ?? null;
      holds.delete(`${kind}:${id}`);
      return h;
    },
    get: async (kind, id) => holds.get(`${kind}:${id}`) ?? null,
    list: async (kind, ids) => [...holds.values()].filter((h) => h.kind === kind && (!ids || ids.includes(h.subjectId))),
  };
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
    redeliveries: noRedeliveries,
    // The baseline benchmarks never sign in.
    sessions: { create: async () => undefined, get: async () => null, touch: async () => undefined, delete: async () => undefined, prune: async () => 0, deleteByUser: async () => 0, countByUser: async () => ({}) },
    signIns: {
      reserveAttempt: async () => 0,
      refundAttempt: async () => undefined,
      clearAttempts: async () => undefined,
      getRehash: async () => null,
      setRehash: async () => undefined,
    },
    apiTokens: { create: async () => undefined, findByHash: async () => null, listByUser: async () => [], revoke: async () => null, touch: async () => undefined },
    advisories: noAdvisories,
    // The old snapshot store predates rollouts; the store benchmark makes none (a worker start lists them: none).
    rollouts: new Proxy({} as Repositories['rollouts'], {
      get: (_t, method) =>
        method === 'list' ? async () => ({ items: [], total: 0 }) : () => Promise.reject(new Error('rollouts are not part of the snapshot baseline')),
    }),
    audit: memoryAudit(),
    holds: memoryHolds(),
    transaction: (fn) => fn(),
    ping: async () => !closed,
    close: async () => {
      closed = true;
      await writer?.flush();
    },
  };
};
