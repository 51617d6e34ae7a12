/**
 * Ports: what the application needs from the outside world. Adapters live in
 * src/persistence (sqlite, mongo), src/jobs (sqlite, agenda), src/upstream + src/github, src/hosting, src/slack.
 * Every repository method that changes state in a way two callers could race on is atomic.
 */
import type { Actor } from './actor.js';
import type { Distribution, NewDistribution, PollOutcome } from './distribution.js';
import type { MigrationStep, MigrationStepSpec } from './migration-steps.js';
import type { Manifest, NewPlatform, Platform, PlatformStatus } from './platform.js';
import type { NewSite, Site, SiteStatus } from './site.js';
import type { NewTask, Task, TaskLogLine, TaskState, TaskType } from './task.js';
import type { NewUpgradePlan, PlanSkip, PlanState, UpgradePlan } from './upgrade-plan.js';

export interface PageRequest {
  limit: number;
  offset: number;
}
export interface Page<T> {
  items: T[];
  total: number;
}

/** Reads a whole list at once: for the small collections (distributions, a distribution's platforms, active tasks). */
export const ALL_ITEMS: PageRequest = { limit: 10_000, offset: 0 };

export interface DistributionRepository {
  /** Throws ConflictError when the slug exists. */
  create(input: NewDistribution): Promise<Distribution>;
  get(id: string): Promise<Distribution | null>;
  getBySlug(slug: string): Promise<Distribution | null>;
  list(page?: PageRequest): Promise<Page<Distribution>>;
  /** All distributions tracking an upstream (for polling and webhooks). */
  listWithUpstream(): Promise<Distribution[]>;
  /** Throws NotFoundError. `slug` cannot be changed. */
  update(
    id: string,
    patch: Partial<Pick<Distribution, 'title' | 'description' | 'channel' | 'upstream' | 'policy'>>,
  ): Promise<Distribution>;
  /** Sets the target. With `expectedTargetId` it is a compare-and-set: returns null if the current target differs. */
  setTarget(id: string, platformId: string | null, expectedTargetId?: string | null): Promise<Distribution | null>;
  /** Merges keys into pollState. */
  updatePollState(id: string, patch: Record<string, string>): Promise<void>;
  /** Records the outcome of the latest upstream check (success or failure). Throws NotFoundError. */
  recordPoll(id: string, outcome: PollOutcome): Promise<void>;
  /** Throws NotFoundError. */
  delete(id: string): Promise<void>;
}

export interface PlatformFilter {
  distributionId?: string;
  status?: PlatformStatus[];
}

export interface PlatformRepository {
  /** Throws ConflictError when the name exists, or the distribution already has a platform of that commit. */
  create(input: NewPlatform): Promise<Platform>;
  /**
   * Creates unless the distribution already has a platform for `input.source.commit`;
   * race-free (two pollers + a webhook at once create exactly one).
   */
  createIfAbsent(input: NewPlatform): Promise<{ platform: Platform; created: boolean }>;
  get(id: string): Promise<Platform | null>;
  getByName(name: string): Promise<Platform | null>;
  getByCommit(distributionId: string, commit: string): Promise<Platform | null>;
  getMany(ids: string[]): Promise<Platform[]>;
  /** Sorted by createdAt ascending. */
  list(filter?: PlatformFilter, page?: PageRequest): Promise<Page<Platform>>;
  /** Atomic status change; when `from` is given, only from those statuses. Returns null if not applied. */
  setStatus(id: string, status: PlatformStatus, from?: PlatformStatus[]): Promise<Platform | null>;
  /**
   * Locks every `ready` platform of the distribution except `keepId`, and unlocks `keepId` if locked.
   * Returns the ids it locked and unlocked.
   */
  lockAllExcept(distributionId: string, keepId: string): Promise<{ locked: string[]; unlocked: string[] }>;
  update(id: string, patch: Partial<Pick<Platform, 'manifest' | 'path' | 'source'>>): Promise<Platform>;
  /** Appends lines, keeping the newest LOG_MAX_LINES (each cut to LOG_MAX_LINE_CHARS) and counting the dropped ones. */
  appendBuildLog(id: string, lines: string[]): Promise<void>;
  /**
   * Build lease (several workers): atomically takes a `queued` platform, or a `building` one whose lease expired
   * (its worker died), into `building` until `leaseUntil`. Null when another worker holds it or it is not buildable.
   */
  startBuild(id: string, leaseUntil: Date, now: Date): Promise<Platform | null>;
  /** Extends the lease while still `building`; false when the build is no longer this one's to finish. */
  renewBuildLease(id: string, until: Date): Promise<boolean>;
  /** Puts `building` platforms whose lease expired before `now` back to `queued` (one winner each); returns them. */
  requeueExpiredBuilds(now: Date): Promise<Platform[]>;
  delete(id: string): Promise<void>;
}

export interface SiteFilter {
  platformIds?: string[];
  status?: SiteStatus[];
  nameContains?: string;
}

export interface SiteRepository {
  /** Throws ConflictError when the name exists. Does NOT check locks: SiteService does. */
  create(input: NewSite): Promise<Site>;
  get(id: string): Promise<Site | null>;
  getByName(name: string): Promise<Site | null>;
  getMany(ids: string[]): Promise<Site[]>;
  /** Sorted by name. */
  list(filter?: SiteFilter, page?: PageRequest): Promise<Page<Site>>;
  /** platformId → number of sites. */
  countByPlatform(platformIds: string[]): Promise<Record<string, number>>;
  /** Atomic enabled→migrating while still on `fromPlatformId`. Null if not applied. */
  beginMigration(siteId: string, fromPlatformId: string): Promise<Site | null>;
  /** Atomic migrating→enabled onto `toPlatformId`, appending history. Null if not migrating. */
  completeMigration(siteId: string, toPlatformId: string, taskId: string, at: Date): Promise<Site | null>;
  /** Atomic migrating→enabled on the platform it is on (rollback). Null if not migrating. */
  abortMigration(siteId: string): Promise<Site | null>;
  /**
   * Throws NotFoundError, or ConflictError when the site is migrating: checked and applied in one atomic
   * step, so an edit can never land between a migration's begin and end.
   */
  update(id: string, patch: Partial<Pick<Site, 'status' | 'modules'>>): Promise<Site>;
  /** Throws NotFoundError, or ConflictError when the site is migrating (atomically, as update). */
  delete(id: string): Promise<void>;
}

export interface TaskFilter {
  subjectId?: string;
  type?: TaskType[];
  state?: TaskState[];
  planId?: string;
}

export interface TaskRepository {
  /** Throws ConflictError if an active (queued/processing) task of the same type exists for the subject. */
  create(input: NewTask): Promise<Task>;
  get(id: string): Promise<Task | null>;
  getByNumber(n: number): Promise<Task | null>;
  getMany(ids: string[]): Promise<Task[]>;
  /** Newest first. */
  list(filter?: TaskFilter, page?: PageRequest): Promise<Page<Task>>;
  /**
   * Atomic state change from one of `from` to `to`, merging `patch`.
   * Returns null when the task was not in one of `from` (someone else won).
   */
  transition(
    id: string,
    from: TaskState[],
    to: TaskState,
    patch?: Partial<Pick<Task, 'error' | 'startedAt' | 'finishedAt' | 'lease' | 'confirmedBy' | 'attempts'>>,
  ): Promise<Task | null>;
  /** Atomically claims a queued task (→processing) or a processing task whose lease expired. */
  claim(id: string, owner: string, leaseUntil: Date, now: Date): Promise<Task | null>;
  /** Extends the lease if still held by `owner`. */
  renewLease(id: string, owner: string, until: Date): Promise<boolean>;
  /** Processing tasks whose lease expired before `now` (their worker died). */
  listExpired(now: Date): Promise<Task[]>;
  /** Appends lines, keeping the newest LOG_MAX_LINES (each cut to LOG_MAX_LINE_CHARS) and counting the dropped ones. */
  appendLog(id: string, lines: TaskLogLine[]): Promise<void>;
  /** Records a completed step and merges its checkpoint data. */
  setStep(id: string, step: string, checkpoint?: Record<string, string>): Promise<void>;
  /**
   * `claim`, bounded by slots counted in the store (so the bound holds across processes): `limits` maps slot
   * keys to how many tasks may hold one at once (MigrationService uses `server:<platform.server>` for both
   * platforms, and `all`). Atomically, the task is claimed only if for every key fewer than its limit of *other*
   * `processing` tasks hold a slot of it; then it holds one slot of each key until it leaves `processing`
   * (any `transition` away from it frees them; a re-claim after an expired lease keeps them).
   * Returns the claimed task; or `task: null` with `busy` = the full keys; or `task: null, busy: []` when the task
   * is not claimable at all (gone, finished, or held by a live lease) — exactly when `claim` would return null.
   * With `limits` empty it is `claim`.
   */
  claimWithinLimits(id: string, owner: string, leaseUntil: Date, now: Date, limits: Record<string, number>): Promise<LimitedClaim>;
}

/** Result of TaskRepository.claimWithinLimits. */
export type LimitedClaim = { task: Task; busy: [] } | { task: null; busy: string[] };

export interface UpgradePlanRepository {
  create(input: NewUpgradePlan): Promise<UpgradePlan>;
  get(id: string): Promise<UpgradePlan | null>;
  /** Atomic state change from one of `from`; returns null if not applied. */
  transition(
    id: string,
    from: PlanState[],
    to: PlanState,
    patch?: Partial<Pick<UpgradePlan, 'confirmedBy' | 'taskIds'>>,
  ): Promise<UpgradePlan | null>;
  setMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  /** Records the tasks scheduled so far; `skipped` (set once Confirm went through every move) closes the list. */
  setTaskIds(id: string, taskIds: string[], skipped?: PlanSkip[]): Promise<void>;
  /** Newest first. */
  list(filter?: PlanFilter, page?: PageRequest): Promise<Page<UpgradePlan>>;
}

export interface PlanFilter {
  distributionId?: string;
  state?: PlanState[];
}

/**
 * Memory of delivered requests (Slack trigger ids, GitHub delivery ids), shared by every process of an install,
 * so a redelivery is handled once whichever web process it reaches. Entries expire after their ttl.
 */
export interface RedeliveryStore {
  /**
   * Atomic insert-if-absent: false the first time `key` is offered within `ttlMs` (and records it), true for
   * every later offer until it expires. Of two concurrent first offers exactly one gets false.
   */
  seen(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets `key`, so a redelivery is handled again (the first handling failed). */
  forget(key: string): Promise<void>;
}

export interface Repositories {
  distributions: DistributionRepository;
  platforms: PlatformRepository;
  sites: SiteRepository;
  tasks: TaskRepository;
  plans: UpgradePlanRepository;
  redeliveries: RedeliveryStore;
  /**
   * Runs several repository calls as one unit. Embedded (SQLite): one transaction, all committed or none, job
   * enqueues included; other callers wait meanwhile, so keep it to repository calls (no network, no hosting work).
   * MongoDB: the calls run in order, each atomic on its own (no multi-document transaction).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Database reachability for /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- jobs

export interface JobOptions {
  /** Max jobs of this name running at once in this process. */
  concurrency?: number;
  /** Total attempts for TransientError failures (1 = no retry). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt. */
  backoffMs?: number;
}

export interface JobContext {
  attempt: number;
  /** Set when the queue is stopping; long handlers should stop at the next safe point. */
  signal: AbortSignal;
}

export type JobHandler<T> = (data: T, ctx: JobContext) => Promise<void>;

export interface JobQueue {
  define<T>(name: string, handler: JobHandler<T>, options?: JobOptions): void;
  /**
   * Enqueues a run. With `uniqueKey`, a job with the same key that is not yet finished is not enqueued again.
   */
  enqueue<T>(name: string, data: T, options?: { uniqueKey?: string; runAt?: Date }): Promise<void>;
  /** Recurring job identified by `uniqueKey`; calling again replaces the interval. */
  every<T>(name: string, intervalMs: number, data: T, options: { uniqueKey: string }): Promise<void>;
  cancelRecurring(uniqueKey: string): Promise<void>;
  /** Starts processing (worker role). A queue that is not started only enqueues (web role). */
  start(): Promise<void>;
  /** Stops taking jobs and waits for running ones to finish (drain). */
  stop(): Promise<void>;
  stats(): Promise<{ running: number; queued: number; started: boolean }>;
}

// ---------------------------------------------------------------- events

export type DomainEvent =
  | {
      type: 'target.changed';
      distributionId: string;
      previousTargetId: string | null;
      targetId: string;
      actor: Actor;
    }
  | { type: 'platform.built'; platformId: string }
  | { type: 'platform.failed'; platformId: string }
  /** A poll someone asked for (`/distro poll`) failed for good: they are waiting for an answer. */
  | { type: 'poll.failed'; distributionId: string; actor: Actor; error: string }
  /** A poll someone asked for found no new build. */
  | { type: 'poll.nothing-new'; distributionId: string; actor: Actor }
  | { type: 'task.updated'; taskId: string; state: TaskState }
  | { type: 'plan.updated'; planId: string };

export interface EventPublisher {
  publish(event: DomainEvent): Promise<void>;
}

// ---------------------------------------------------------------- upstream + hosting

/** A build found upstream (a branch head or a tag). */
export interface UpstreamBuild {
  kind: 'branch' | 'tag' | 'release';
  ref: string;
  commit: string;
}

export interface UpstreamChecker {
  /**
   * Builds newer than what `pollState` says was seen, oldest first, and the new pollState.
   * Throws TransientError on network/rate-limit trouble.
   */
  check(distribution: Distribution): Promise<{ builds: UpstreamBuild[]; pollState: Record<string, string> }>;
}

export interface BuildResult {
  path: string;
  manifest: Manifest;
}

export type LogFn = (message: string, level?: TaskLogLine['level']) => void;

type StepSpec<S extends MigrationStep> = Extract<MigrationStepSpec, { step: S }>;
type StepPlatforms<S extends MigrationStep> = StepSpec<S>['platforms'] extends 'fromTo' ? [from: Platform, to: Platform] : [platform: Platform];
type StepResult<S extends MigrationStep> = StepSpec<S> extends { result: 'backupRef' } ? string : void;

/**
 * One method per migration step (src/domain/migration-steps.ts), each idempotent so a resumed migration can
 * repeat the step it crashed in; backup returns a reference to the backup (e.g. a tar path) used by restore.
 */
export type MigrationStepMethods = {
  [S in MigrationStep]: (site: Site, ...args: [...StepPlatforms<S>, log: LogFn]) => Promise<StepResult<S>>;
};

export interface HostingDriver extends MigrationStepMethods {
  readonly name: string;
  /** Builds (checks out) the platform's code and reads its manifest. */
  buildPlatform(platform: Platform, distribution: Distribution, log: LogFn): Promise<BuildResult>;
  /** Puts the site back on `from` exactly as the backup had it, and nowhere else. */
  restore(site: Site, from: Platform, to: Platform, backupRef: string, log: LogFn): Promise<void>;
  /**
   * Where the site's files are right now, for recovery after a crash: `from`, `to`, `missing` (on neither: only in
   * its backup), `both` (a leftover copy; restore settles it), or `unknown` when this driver cannot tell.
   */
  locateSite(site: Site, from: Platform, to: Platform, log: LogFn): Promise<SiteLocation>;
  /**
   * A hash of the site's files on `platform`, ignoring the maintenance flag: taken at backup time and compared
   * after a rollback, so "rolled back" is only reported for a byte-identical site. Null when this driver cannot tell.
   */
  siteDigest(site: Site, platform: Platform, log: LogFn): Promise<string | null>;
  /** Creates the site's files on a platform (used when a site is created through Distro). */
  installSite?(site: Site, platform: Platform, log: LogFn): Promise<void>;
}

export type SiteLocation = 'from' | 'to' | 'missing' | 'both' | 'unknown';

export interface Clock {
  now(): Date;
}

