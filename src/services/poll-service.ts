/**
 * Update polling: asks the upstream checker for new builds, records each as a queued platform (at most once per
 * commit, however many pollers and webhooks race) and queues its build. Framework-free: ports only.
 */
import type { Actor } from '../domain/actor.js';
import { matchesTagPattern, type Distribution, type UpstreamSource } from '../domain/distribution.js';
import { ConflictError, NotFoundError, RuleViolationError, TransientError, ValidationError } from '../domain/errors.js';
import { ALL_ITEMS, type JobQueue, type Repositories, type UpstreamBuild, type UpstreamChecker } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import { BUILD_JOB, buildKey, POLL_JOB, pollNowKey, pollScheduleKey, type BuildJobData, type PollJobData } from '../domain/jobs.js';
import { upstreamSourceProblems } from '../domain/upstream-source-problems.js';
import { normalizeRepoUrl, trackingOf } from '../domain/upstream-tracking.js';
import type { UpstreamUrlPolicy } from '../domain/upstream-url.js';
import { firstErrorLine } from '../lib/first-error-line.js';
import { resolveDistribution } from './lookup.js';

/** A ref that changed upstream, as a webhook reports it (transport-neutral). */
export interface UpstreamRefEvent {
  /** `owner/repo` as GitHub spells it. */
  fullName: string;
  /** Every URL the repository is known by (clone, ssh, html). */
  urls: string[];
  ref: { kind: 'branch' | 'tag'; name: string };
  actor: Actor;
}

export interface PollServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  checkers: Partial<Record<UpstreamSource['kind'], UpstreamChecker>>;
  /** Server new platforms are built on (local driver: this host). */
  server?: string;
  /** ALLOW_LOCAL_UPSTREAMS, for testUpstream's own validation (the checkers guard every fetch regardless). */
  upstreamPolicy?: UpstreamUrlPolicy;
  now?: () => Date;
}

/** How long "Test upstream" waits for an answer. */
export const UPSTREAM_TEST_TIMEOUT_MS = 20_000;

const PLATFORM_NAME_UNSAFE = /[^A-Za-z0-9._-]+/g;

/** `<slug>-<tag>` for tags and releases, `<slug>-<short sha>` for branch heads; safe as a directory name. */
export const platformNameFor = (slug: string, build: UpstreamBuild): string => {
  const label = build.kind === 'branch' ? build.commit.slice(0, 7) : build.ref;
  return `${slug}-${label}`.replace(PLATFORM_NAME_UNSAFE, '-').replace(/\.{2,}/g, '.').slice(0, 200);
};

/** One build per commit; a tag names a commit better than a branch does, so it wins. */
const dedupeByCommit = (builds: UpstreamBuild[]): UpstreamBuild[] => {
  const byCommit = new Map<string, UpstreamBuild>();
  for (const b of builds) {
    const seen = byCommit.get(b.commit);
    if (!seen || (seen.kind === 'branch' && b.kind !== 'branch')) byCommit.set(b.commit, b);
  }
  return builds.filter((b) => byCommit.get(b.commit) === b);
};

export class PollService {
  constructor(private readonly deps: PollServiceDeps) {}

  private get repos() {
    return this.deps.repos;
  }

  /** Checks one distribution's upstream now and records new builds as queued platforms. */
  async checkDistribution(distributionId: string, actor: Actor): Promise<{ distribution: Distribution; newPlatforms: Platform[] }> {
    const distribution = await this.repos.distributions.get(distributionId);
    if (!distribution) throw new NotFoundError('distribution', distributionId);
    const upstream = this.requireUpstream(distribution);
    const checker = this.deps.checkers[upstream.kind];
    if (!checker) throw new RuleViolationError(`Polling ${upstream.kind} upstreams is not configured on this server.`);
    try {
      const found = await this.recordBuilds(distribution, checker, actor);
      await this.repos.distributions.recordPoll(distribution.id, { at: this.now(), error: null });
      return found;
    } catch (error) {
      // Kept on the distribution, so a failing upstream shows on the dashboard without Slack.
      const message = firstErrorLine(error instanceof Error ? error.message : String(error));
      await this.repos.distributions.recordPoll(distribution.id, { at: this.now(), error: message });
      throw error;
    }
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private async recordBuilds(distribution: Distribution, checker: UpstreamChecker, actor: Actor) {
    const { builds, pollState } = await checker.check(distribution);
    const newPlatforms: Platform[] = [];
    for (const build of dedupeByCommit(builds)) {
      const { platform, created } = await this.recordBuild(distribution, build, actor);
      if (created) newPlatforms.push(platform);
    }
    // Only after every build is recorded: a crash before this line repeats the check, never loses a build.
    if (Object.keys(pollState).length > 0) await this.repos.distributions.updatePollState(distribution.id, pollState);
    return { distribution, newPlatforms };
  }

  /**
   * Records one build as a queued platform (at most one per commit) and queues its build job. Also re-queues a
   * platform recorded by a run that died before enqueueing; the unique key and the queued→building guard make a
   * duplicate harmless. Used by polls and by builds of a chosen ref (ReleaseService).
   */
  async recordBuild(distribution: Distribution, build: UpstreamBuild, actor: Actor): Promise<{ platform: Platform; created: boolean }> {
    const recorded = await this.record(distribution, build, actor);
    if (recorded.platform.status === 'queued') await this.enqueueBuild(recorded.platform);
    return recorded;
  }

  enqueueBuild(platform: Platform): Promise<void> {
    return this.deps.jobs.enqueue<BuildJobData>(BUILD_JOB, { platformId: platform.id }, { uniqueKey: buildKey(platform.id) });
  }

  /** The checker of this upstream's kind, or a refusal saying this server has none. */
  checkerFor(upstream: UpstreamSource): UpstreamChecker {
    const checker = this.deps.checkers[upstream.kind];
    if (!checker) throw new RuleViolationError(`Polling ${upstream.kind} upstreams is not configured on this server.`);
    return checker;
  }

  private async record(distribution: Distribution, build: UpstreamBuild, actor: Actor) {
    const input = {
      name: platformNameFor(distribution.slug, build),
      distributionId: distribution.id,
      source: { ref: build.ref, commit: build.commit },
      createdBy: actor,
      status: 'queued' as const,
      ...(this.deps.server ? { server: this.deps.server } : {}),
    };
    try {
      return await this.repos.platforms.createIfAbsent(input);
    } catch (error) {
      // The name is taken by another commit (a moved tag, a hand-made platform): keep both, told apart by sha.
      if (!(error instanceof ConflictError)) throw error;
      const name = `${input.name}-${build.commit.slice(0, 7)}`.slice(0, 200);
      return this.repos.platforms.createIfAbsent({ ...input, name });
    }
  }

  /**
   * "Test upstream": the check a poll makes, on an upstream not saved yet, bounded in time. Returns the refs of
   * the builds it would record (oldest first); throws ValidationError for a malformed source, else the checker's error.
   */
  async testUpstream(upstream: UpstreamSource, timeoutMs = UPSTREAM_TEST_TIMEOUT_MS): Promise<string[]> {
    const problems = upstreamSourceProblems(upstream, this.deps.upstreamPolicy ?? { allowLocal: false });
    if (problems.length) throw new ValidationError('Invalid upstream.', problems);
    const checker = this.deps.checkers[upstream.kind];
    if (!checker) throw new RuleViolationError(`Polling ${upstream.kind} upstreams is not configured on this server.`);
    const at = new Date(0);
    const probe: Distribution = {
      ...{ id: 'upstream-test', slug: 'upstream-test', title: 'upstream test', description: '', channel: null, targetPlatformId: null },
      ...{ upstream, policy: { pollIntervalMinutes: 0, autoTarget: false }, pollState: {}, lastPoll: null, createdAt: at, updatedAt: at },
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransientError(`The upstream did not answer within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs);
    });
    try {
      const { builds } = await Promise.race([checker.check(probe), timeout]);
      return dedupeByCommit(builds).map((b) => b.ref);
    } finally {
      clearTimeout(timer);
    }
  }

  /** `/distro poll <slug>`: queues an immediate check (at most one pending per distribution). */
  async pollNow(distributionKey: string, actor: Actor): Promise<Distribution> {
    const distribution = await resolveDistribution(this.repos, distributionKey);
    this.requireUpstream(distribution);
    await this.deps.jobs.enqueue<PollJobData>(POLL_JOB, { distributionId: distribution.id, actor }, { uniqueKey: pollNowKey(distribution.id) });
    return distribution;
  }

  /** Creates, updates or cancels the recurring poll of one distribution to match its policy. Returns whether it polls. */
  async schedule(distribution: Distribution): Promise<boolean> {
    const key = pollScheduleKey(distribution.id);
    const minutes = distribution.policy.pollIntervalMinutes;
    if (!distribution.upstream || !(minutes > 0)) {
      await this.deps.jobs.cancelRecurring(key);
      return false;
    }
    await this.deps.jobs.every<PollJobData>(POLL_JOB, minutes * 60_000, { distributionId: distribution.id }, { uniqueKey: key });
    return true;
  }

  /** Aligns every distribution's recurring poll with its policy (at start-up). */
  async schedulePolls(): Promise<{ scheduled: string[]; cancelled: string[] }> {
    const scheduled: string[] = [];
    const cancelled: string[] = [];
    for (let offset = 0; ; offset += ALL_ITEMS.limit) {
      const page = await this.repos.distributions.list({ limit: ALL_ITEMS.limit, offset });
      for (const d of page.items) ((await this.schedule(d)) ? scheduled : cancelled).push(d.slug);
      if (offset + page.items.length >= page.total || page.items.length === 0) break;
    }
    return { scheduled, cancelled };
  }

  /** A webhook said a ref moved: queue a poll of every distribution tracking that repository and ref. */
  async onUpstreamRef(event: UpstreamRefEvent): Promise<Distribution[]> {
    const urls = new Set(event.urls.map(normalizeRepoUrl));
    const fullName = event.fullName.toLowerCase();
    const matched = (await this.repos.distributions.listWithUpstream()).filter((d) => {
      const u = d.upstream;
      if (!u) return false;
      const sameRepo = u.kind === 'github' ? `${u.owner}/${u.repo}`.toLowerCase() === fullName : urls.has(normalizeRepoUrl(u.url));
      if (!sameRepo) return false;
      const tracking = trackingOf(u);
      return event.ref.kind === 'branch'
        ? tracking.branch === event.ref.name
        : tracking.tagPattern !== null && matchesTagPattern(tracking.tagPattern, event.ref.name);
    });
    for (const d of matched) {
      await this.deps.jobs.enqueue<PollJobData>(POLL_JOB, { distributionId: d.id, actor: event.actor }, { uniqueKey: pollNowKey(d.id) });
    }
    return matched;
  }

  requireUpstream(distribution: Distribution): UpstreamSource {
    if (!distribution.upstream) {
      throw new RuleViolationError(`Distribution \`${distribution.slug}\` has no upstream to poll.`, {
        next: { action: 'set-upstream', distribution: distribution.slug },
      });
    }
    return distribution.upstream;
  }
}
