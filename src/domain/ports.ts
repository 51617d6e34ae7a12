/**
 * Ports: what the application needs from the outside world. Adapters live in
 * src/persistence (sqlite, mongo), src/jobs (sqlite, agenda), src/upstream + src/github, src/hosting, src/slack.
 * Every repository method that changes state in a way two callers could race on is atomic.
 */
import type { HealthCheckPolicy } from './rollout-policy.js';
import type { Actor } from './actor.js';
import type { ApiToken } from './api-token.js';
import type {
  AdvisoryAnnouncement,
  AdvisoryEvent,
  AdvisoryFeedState,
  AdvisorySnapshot,
  AdvisorySourceKey,
  NewAdvisoryEvent,
  NewAdvisorySnapshot,
} from './advisory-feed.js';
import type { DriverStep, MigrationStepSpec } from './migration-steps.js';
import type { AuditEntry, AuditFilter, AuditPage, AuditPageRequest, NewAuditEntry } from './audit.js';
import type { Distribution, NewDistribution, PollOutcome } from './distribution.js';
import type { Hold, HoldKind } from './hold.js';
import type { ThrottleRule } from './login-throttle.js';
import type { Manifest, NewPlatform, Platform, PlatformStatus } from './platform.js';
import type { NewRollout, Rollout, RolloutPatch, RolloutState } from './rollout.js';
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
  /**
   * Many sites in one statement loop (an import), inside the caller's transaction when there is one; ConflictError
   * on the first name that exists. Absent: callers create one by one.
   */
  createMany?(inputs: readonly NewSite[]): Promise<number>;
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
    patch?: Partial<Pick<Task, 'error' | 'startedAt' | 'finishedAt' | 'lease' | 'confirmedBy' | 'attempts' | 'step' | 'checkpoint'>>,
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

export interface RolloutFilter {
  distributionId?: string;
  state?: RolloutState[];
}

/** Rollouts (src/domain/rollout.ts): one per confirmed plan, changed only by compare-and-set on `version`. */
export interface RolloutRepository {
  /** Numbers it 1, 2, …; throws ConflictError when the plan already has a rollout. */
  create(input: NewRollout): Promise<Rollout>;
  get(id: string): Promise<Rollout | null>;
  getByNumber(n: number): Promise<Rollout | null>;
  getByPlan(planId: string): Promise<Rollout | null>;
  /** The rollout an advisory event started automatically in a distribution (see automaticRolloutKey; unique). */
  getAutomatic(advisoryEventId: string, distributionId: string): Promise<Rollout | null>;
  /** Newest first. */
  list(filter?: RolloutFilter, page?: PageRequest): Promise<Page<Rollout>>;
  /** Applies `patch` and bumps the version if the stored version is `version`; null otherwise (someone else won). */
  update(id: string, version: number, patch: RolloutPatch): Promise<Rollout | null>;
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
  /**
   * Takes a delivery for handling, atomically: `claimed` when `key` is new (or expired after `ttlMs`), or when an
   * earlier claim was never completed within `leaseMs` (its handler died between claim and completion); the caller
   * then does the work and calls `complete` (or `forget` when it failed). `done` once completed; `in-progress` while
   * a younger claim is still open. Of concurrent claims exactly one gets `claimed`.
   */
  claim(key: string, ttlMs: number, leaseMs: number): Promise<DeliveryClaim>;
  /** Marks a claimed delivery done: later offers of `key` get `done` until it expires. */
  complete(key: string): Promise<void>;
}

/**
 * A signed-in admin user's session. `id` is the SHA-256 of the cookie's random token (a copy of the store
 * grants no session); `csrf` is the synchronizer token every form of the session carries.
 */
export interface AdminSession {
  id: string;
  user: string;
  csrf: string;
  createdAt: Date;
  lastSeenAt: Date;
  /**
   * Digest of the user's ADMIN_USERS entry (role and password hash) at sign-in: a session whose user's entry
   * changed since (new password or role) is ended when it is next used.
   */
  stamp: string;
}

/** Admin sessions, shared by every web process, so logout ends a session everywhere at once. */
export interface SessionStore {
  create(session: AdminSession): Promise<void>;
  /** The session, or null when it does not exist (never created, logged out, or pruned). */
  get(id: string): Promise<AdminSession | null>;
  /** Records activity (idle expiry counts from the last one). */
  touch(id: string, at: Date): Promise<void>;
  delete(id: string): Promise<void>;
  /** Removes sessions idle since before `idleBefore` or created before `createdBefore`; returns how many. */
  prune(idleBefore: Date, createdBefore: Date): Promise<number>;
  /**
   * Ends every session of `user` ("sign out everywhere"), or only those whose stamp is not `keepStamp` (opened
   * before the user's password or role changed); returns how many.
   */
  deleteByUser(user: string, keepStamp?: string): Promise<number>;
  /** How many sessions each user has (for the sessions page). */
  countByUser(): Promise<Record<string, number>>;
}

/**
 * Sign-in state beside the sessions, shared by every web process and kept across restarts: the throttle's
 * counters (rules in src/domain/login-throttle.ts) and passwords re-hashed at stronger settings than their
 * ADMIN_USERS entry.
 */
export interface SignInStore {
  /**
   * Counts one attempt against every rule, all or none, atomically: 0 when counted, else the longest wait (ms)
   * a refusing rule asks for.
   */
  reserveAttempt(rules: ThrottleRule[], now: Date): Promise<number>;
  /** Takes one counted attempt back from each key (a success does not count against its address). */
  refundAttempt(keys: string[]): Promise<void>;
  /** Forgets the keys' counts (a success clears its user's). */
  clearAttempts(keys: string[]): Promise<void>;
  /** The re-hashed password of `user`, made from the ADMIN_USERS hash whose digest is `source`. */
  getRehash(user: string): Promise<{ source: string; hash: string } | null>;
  setRehash(user: string, source: string, hash: string): Promise<void>;
}

/** Personal API tokens (hashed), shared by every web process, so a revocation holds everywhere at once. */
export interface ApiTokenStore {
  create(token: ApiToken): Promise<void>;
  /** The token whose secret hashes to `hash`, or null. */
  findByHash(hash: string): Promise<ApiToken | null>;
  /** A user's tokens, newest first. */
  listByUser(user: string): Promise<ApiToken[]>;
  /** Deletes the user's token `id`; null when the user has no such token. */
  revoke(user: string, id: string): Promise<ApiToken | null>;
  /** Records a use (moves lastUsedAt forward, never back). */
  touch(id: string, at: Date): Promise<void>;
}

/**
 * Advisory snapshots, the events between them and their announcements. A snapshot becomes in force together with
 * its event in one atomic step, so an event is never lost nor recorded twice, whichever poller wins.
 */
export interface AdvisoryRepository {
  /** The snapshot in force for `source`, or null before the first. */
  inForce(source: AdvisorySourceKey): Promise<AdvisorySnapshot | null>;
  /** Every source's snapshot in force. */
  listInForce(): Promise<AdvisorySnapshot[]>;
  /** Ids of the snapshots in force, sorted by source: a cheap "did anything change" check. */
  inForceIds(): Promise<string[]>;
  /**
   * Atomic compare-and-set: when `source`'s snapshot in force is still `expectedPreviousId`, the new snapshot
   * replaces it and the event is recorded with it; otherwise (another poller won) nothing is written and null returned.
   */
  commitSnapshot(
    snapshot: NewAdvisorySnapshot,
    event: NewAdvisoryEvent,
    expectedPreviousId: string | null,
  ): Promise<{ snapshot: AdvisorySnapshot; event: AdvisoryEvent } | null>;
  getEvent(id: string): Promise<AdvisoryEvent | null>;
  /** Newest first. `unannounced`: events whose announcements were not all claimed yet (oldest first then). */
  listEvents(filter?: { unannounced?: boolean; packageName?: string }, page?: PageRequest): Promise<Page<AdvisoryEvent>>;
  markAnnounced(eventId: string): Promise<void>;
  /**
   * Insert-if-absent of (event, distribution): true for the one caller that may post it. One that was claimed but
   * has no `ts` yet (the poster died before recording it) is offered again after `staleAfterMs`.
   */
  claimAnnouncement(eventId: string, distributionId: string, channel: string, now: Date, staleAfterMs: number): Promise<boolean>;
  setAnnouncementTs(eventId: string, distributionId: string, ts: string): Promise<void>;
  /** Posted announcements of a distribution with no fix reported yet. */
  listOpenAnnouncements(distributionId: string): Promise<AdvisoryAnnouncement[]>;
  getAnnouncement(eventId: string, distributionId: string): Promise<AdvisoryAnnouncement | null>;
  /** Compare-and-set of fixedBy from null: true for the one caller that may post the follow-up. */
  markFixed(eventId: string, distributionId: string, platformId: string): Promise<boolean>;
  getFeedState(source: AdvisorySourceKey): Promise<AdvisoryFeedState>;
  /** Merges keys into the source's feed state. */
  updateFeedState(source: AdvisorySourceKey, patch: AdvisoryFeedState): Promise<void>;
}

/**
 * The audit log: append-only (no update, no delete). Entries come back newest first, in the order this store
 * appended them; `id` is the cursor of the next page.
 */
export interface AuditStore {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first, `page.limit` at most, older than `page.before` when given. */
  list(filter: AuditFilter, page: AuditPageRequest): Promise<AuditPage>;
}

/** Manual locks and pins (src/domain/hold.ts): at most one per subject, replaced by a second `set`. */
export interface HoldStore {
  set(hold: Hold): Promise<Hold>;
  /** Removes the subject's hold; returns it, or null when there was none. */
  clear(kind: HoldKind, subjectId: string): Promise<Hold | null>;
  get(kind: HoldKind, subjectId: string): Promise<Hold | null>;
  /** Holds of a kind, of the given subjects only when `subjectIds` is given. */
  list(kind: HoldKind, subjectIds?: string[]): Promise<Hold[]>;
}
export type DeliveryClaim = 'claimed' | 'done' | 'in-progress';

export interface Repositories {
  distributions: DistributionRepository;
  platforms: PlatformRepository;
  sites: SiteRepository;
  tasks: TaskRepository;
  plans: UpgradePlanRepository;
  rollouts: RolloutRepository;
  redeliveries: RedeliveryStore;
  sessions: SessionStore;
  signIns: SignInStore;
  apiTokens: ApiTokenStore;
  advisories: AdvisoryRepository;
  audit: AuditStore;
  holds: HoldStore;
  /**
   * Runs several repository calls as one unit. Embedded (SQLite): one transaction, all committed or none, job
   * enqueues included; other callers wait meanwhile, so keep it to repository calls (no network, no hosting work).
   * MongoDB: the calls run in order, each atomic on its own (no multi-document transaction).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Database reachability for /healthz. */
  ping(): Promise<boolean>;
  /** True while writes are refused for lack of space (embedded store: since the last write failed so); absent elsewhere. */
  storageFull?(): boolean;
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
  /** Jobs due by `now` and not yet taken, per job name, with the oldest one's due time (metrics: queue depth, age). */
  backlog(now: Date): Promise<JobBacklog[]>;
}

export interface JobBacklog {
  name: string;
  due: number;
  oldestDueAt: Date;
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
  | { type: 'plan.updated'; planId: string }
  /** A new advisory snapshot is in force (announced when it exposes sites). */
  | { type: 'advisory.published'; eventId: string }
  /** A feed snapshot was refused (too large, not JSON, a constraint that does not parse); the last good one stays. */
  | { type: 'advisory.refused'; source: string; label: string; notice: string }
  /** A weekly advisory digest is due (claimed under `key`; the poster completes it). */
  | { type: 'advisory.digest'; distributionId: string; key: string }
  /** A rollout changed state; `notice: 'paused'` when a failing wave paused it (said in the thread and the channel). */
  | { type: 'rollout.updated'; rolloutId: string; planId: string; notice?: 'paused' };

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

/** One advisory feed (a git branch, a file, a URL): what it publishes now, fetched only when it changed. */
export interface AdvisoryFeedReader {
  readonly source: AdvisorySourceKey;
  /** Shown in notices (credentials redacted). */
  readonly label: string;
  /**
   * `unchanged` when the feed still publishes what `state` says was read (nothing is downloaded); otherwise the
   * commit (or content digest) and the conflict-map text. Throws ValidationError when the feed refuses to be
   * read (too large, missing file), TransientError for trouble that may pass.
   */
  read(state: AdvisoryFeedState): Promise<{ unchanged: true; state: AdvisoryFeedState } | { unchanged: false; commit: string; text: string; state: AdvisoryFeedState }>;
}

export interface BuildResult {
  path: string;
  manifest: Manifest;
}

export type LogFn = (message: string, level?: TaskLogLine['level']) => void;

type StepSpec<S extends DriverStep> = Extract<MigrationStepSpec, { step: S }>;
type StepPlatforms<S extends DriverStep> = StepSpec<S>['platforms'] extends 'fromTo' ? [from: Platform, to: Platform] : [platform: Platform];
type StepResult<S extends DriverStep> = StepSpec<S> extends { result: 'backupRef' } ? string : void;

/**
 * One method per migration step (src/domain/migration-steps.ts), each idempotent so a resumed migration can
 * repeat the step it crashed in; backup returns a reference to the backup (e.g. a tar path) used by restore.
 */
export type MigrationStepMethods = {
  [S in DriverStep]: (site: Site, ...args: [...StepPlatforms<S>, log: LogFn, progress?: StepProgress]) => Promise<StepResult<S>>;
};

/**
 * The external commands of a step that are known to have completed (committed on the task right after each returned),
 * so a migration resumed after a crash does not run them again; a driver running several commands in one step
 * (postMigrate) asks `done` before each and awaits `completed` right after it returns.
 */
export interface StepProgress {
  done(key: string): boolean;
  completed(key: string): Promise<void>;
}

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
  /** Deletes a backup `backup` returned (the pruner, after BACKUP_RETENTION_DAYS); absent: backups are never pruned. */
  removeBackup?(backupRef: string, log: LogFn): Promise<void>;
  /** Creates the site's files on a platform (used when a site is created through Distro). */
  installSite?(site: Site, platform: Platform, log: LogFn): Promise<void>;
  /**
   * Adoption: whether a site that already exists is on `platform` as this driver sees it, and its enabled modules
   * when the driver can list them (null: it cannot tell). Never changes anything. Absent: sites cannot be adopted.
   * `root` (import): look in that code base directory instead of the platform's (same code, another directory).
   */
  findSite?(site: Pick<Site, 'name'>, platform: Platform, log: LogFn, root?: string): Promise<FoundSite>;
  /** findSite for many sites of one code base at once (import); absent: findSite is called per site. */
  findSites?(names: readonly string[], platform: Platform, log: LogFn, root?: string): Promise<Map<string, FoundSite>>;
  /** The directory a platform's code is in, as aliases' `root` name it (import matches roots against it). */
  platformRoot?(platform: Platform): string;
  /**
   * Import: the content of `manifestPath` (composer.lock) of the code base at `root`, null when it has none.
   * Throws HostingError when `root` is outside what this driver may read (its confinement).
   */
  readRootManifest?(root: string, manifestPath: string, log: LogFn): Promise<string | null>;
}

/** What findSite saw: the site with its modules (null: unknown), or why it is not there. */
export type FoundSite = { found: true; modules: string[] | null } | { found: false; reason: string };

/** The health check after a migration (policy.rollout.healthCheck); see src/hosting/health-checker.ts. */
export interface HealthChecker {
  /**
   * Checks the site on `platform`; resolves when healthy or nothing is configured, throws HostingError saying what
   * failed. `policy` replaces the distribution's check (the policy page's "Test this check on a site").
   */
  check(site: Site, platform: Platform, log: LogFn, policy?: HealthCheckPolicy): Promise<void>;
}

export type SiteLocation = 'from' | 'to' | 'missing' | 'both' | 'unknown';

export interface Clock {
  now(): Date;
}

