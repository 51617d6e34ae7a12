/**
 * Builds a queued platform through the hosting driver, records the outcome, and (policy.autoTarget) makes a
 * newer build the distribution's upgrade target — which locks the older platforms and announces the change.
 */
import { BUILD_FAILED_PREFIX } from '../domain/build-failure.js';
import type { Actor } from '../domain/actor.js';
import { compareVersions } from '../domain/compare/versions.js';
import { ConflictError, TransientError } from '../domain/errors.js';
import { TARGET_WHEN_MATURE_JOB, targetWhenMatureKey, type TargetWhenMatureJobData } from '../domain/jobs.js';
import type { EventPublisher, HostingDriver, JobQueue, LogFn, Repositories } from '../domain/ports.js';
import { matureAt } from '../domain/release-age.js';
import type { Platform } from '../domain/platform.js';
import { isVersionTag } from '../domain/upstream-tracking.js';
import { KeyedSemaphore } from '../lib/keyed-semaphore.js';

export interface BuildServiceDeps {
  repos: Pick<Repositories, 'distributions' | 'platforms'>;
  driver: HostingDriver;
  events: EventPublisher;
  /** DistributionService: validates, compare-and-sets the target, locks the others, publishes `target.changed`. */
  targets: {
    setTarget(distributionKey: string, platformKey: string, actor: Actor, options?: { expectedTargetId?: string | null }): Promise<unknown>;
  };
  /** How long a build lease lasts without renewal (renewed every third of it while building). */
  leaseMs?: number;
  now?: () => Date;
  /** Schedules the target check of a build younger than policy.minReleaseAgeHours (without it such a build waits for a person). */
  jobs?: Pick<JobQueue, 'enqueue'>;
}

/** A worker that stops renewing for this long is presumed dead; its build is taken over or requeued. */
export const BUILD_LEASE_MS = 15_000;

/** Whether `candidate` should replace `current` as target: by version when both are release tags, else by age. */
export const isNewerBuild = (candidate: Platform, current: Platform | null): boolean => {
  if (!current) return true;
  if (current.id === candidate.id) return false;
  if (isVersionTag(candidate.source.ref) && isVersionTag(current.source.ref)) {
    return compareVersions(candidate.source.ref, current.source.ref) > 0;
  }
  return candidate.createdAt.getTime() > current.createdAt.getTime();
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class BuildService {
  /** Auto-targeting decisions of one distribution are made one at a time, so two builds finishing together cannot regress the target. */
  private readonly targeting = new KeyedSemaphore(1);

  constructor(private readonly deps: BuildServiceDeps) {}

  private get platforms() {
    return this.deps.repos.platforms;
  }

  /**
   * Builds a queued platform. Returns the platform as left (ready/failed), the current state when it was not
   * queued (someone else builds or built it), or null when it no longer exists. A TransientError puts it back to
   * queued and is rethrown for the queue to retry, unless this is the final attempt.
   */
  async build(platformId: string, options: { finalAttempt?: boolean } = {}): Promise<Platform | null> {
    const before = await this.platforms.get(platformId);
    const platform = await this.platforms.startBuild(platformId, this.leaseEnd(), this.now());
    if (!platform) return before && this.platforms.get(platformId);
    const log = this.buildLog(platform.id);
    if (before?.status === 'building') log.fn('The worker building this platform stopped (its lease expired); building again.', 'warn');
    // Renewed while building, so other workers can tell a long build from a dead worker.
    const renew = setInterval(() => void this.platforms.renewBuildLease(platform.id, this.leaseEnd()).catch(() => undefined), this.leaseMs / 3);
    renew.unref();
    try {
      const distribution = await this.deps.repos.distributions.get(platform.distributionId);
      if (!distribution) throw new Error(`The distribution of ${platform.name} no longer exists.`);
      const result = await this.deps.driver.buildPlatform(platform, distribution, log.fn);
      await this.platforms.update(platform.id, { manifest: result.manifest, path: result.path });
      log.fn(`Built ${platform.name} into ${result.path}`);
      await log.flush();
      const ready = (await this.platforms.setStatus(platform.id, 'ready', ['building'])) ?? platform;
      await this.deps.events.publish({ type: 'platform.built', platformId: platform.id });
      const targeted = distribution.policy.autoTarget && (await this.autoTarget(ready, log));
      if (!targeted) await this.lockIfNotTarget(ready, log);
      await log.flush();
      return (await this.platforms.get(platform.id)) ?? ready;
    } catch (error) {
      if (error instanceof TransientError && !options.finalAttempt) {
        log.fn(`Build interrupted, will retry: ${errorText(error)}`, 'warn');
        await log.flush();
        await this.platforms.setStatus(platform.id, 'queued', ['building']);
        throw error;
      }
      log.fn(`${BUILD_FAILED_PREFIX}${errorText(error)}`, 'error');
      // Recording the failure matters more than the last log lines.
      await log.flush().catch(() => undefined);
      const failed = await this.platforms.setStatus(platform.id, 'failed', ['building']);
      await this.deps.events.publish({ type: 'platform.failed', platformId: platform.id });
      return failed;
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * Builds whose worker died (lease expired) go back to `queued`; returns them so the caller can enqueue their
   * build jobs. Whichever worker notices first requeues each one (one winner per platform).
   */
  async requeueExpired(): Promise<Platform[]> {
    const requeued = await this.platforms.requeueExpiredBuilds(this.now());
    for (const p of requeued) await this.platforms.appendBuildLog(p.id, ['The worker building this platform stopped (its lease expired); queued again.']);
    return requeued;
  }

  private get leaseMs(): number {
    return this.deps.leaseMs ?? BUILD_LEASE_MS;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private leaseEnd(): Date {
    return new Date(this.now().getTime() + this.leaseMs);
  }

  /**
   * The `platform.target-when-mature` job: a build that was too young to become the target when it was built
   * becomes it now, when autoTarget is still on and it is still newer than the target (and still built).
   */
  async targetWhenMature(platformId: string): Promise<boolean> {
    const platform = await this.platforms.get(platformId);
    if (!platform || (platform.status !== 'ready' && platform.status !== 'locked')) return false;
    const distribution = await this.deps.repos.distributions.get(platform.distributionId);
    if (!distribution?.policy.autoTarget || distribution.targetPlatformId === platform.id) return false;
    const log = this.buildLog(platform.id);
    try {
      return await this.autoTarget(platform, log);
    } finally {
      await log.flush();
    }
  }

  /** Makes the build the target when it is newer than the current one; true when it became the target. */
  private async autoTarget(platform: Platform, log: { fn: LogFn }): Promise<boolean> {
    const release = await this.targeting.acquire(platform.distributionId);
    try {
      // Re-read: another build of the same distribution may have become the target meanwhile.
      for (let attempt = 0; attempt < 3; attempt++) {
        const distribution = await this.deps.repos.distributions.get(platform.distributionId);
        if (!distribution) return false;
        const current = distribution.targetPlatformId ? await this.platforms.get(distribution.targetPlatformId) : null;
        if (!isNewerBuild(platform, current)) {
          log.fn(`Not made the upgrade target: ${current?.name ?? 'the current target'} is newer.`);
          return false;
        }
        // Minimum release age: too young a build waits (a job checks it again once it is old enough).
        const mature = matureAt(platform.createdAt, distribution.policy.minReleaseAgeHours);
        if (mature.getTime() > this.now().getTime()) {
          log.fn(`Not made the upgrade target yet: ${distribution.slug} takes builds at least ${distribution.policy.minReleaseAgeHours} h old; it becomes the target at ${mature.toISOString()} if it is still the newest.`);
          await this.deps.jobs?.enqueue<TargetWhenMatureJobData>(TARGET_WHEN_MATURE_JOB, { platformId: platform.id }, { uniqueKey: targetWhenMatureKey(platform.id, mature), runAt: mature });
          return false;
        }
        try {
          // Compare-and-set against the target this decision was made on, so workers in other processes cannot regress it.
          // The change is the poll's or webhook's doing, not that of whoever asked for the poll that found the build.
          const by: Actor = platform.createdBy.kind === 'webhook' ? platform.createdBy : { kind: 'poll' };
          await this.deps.targets.setTarget(distribution.id, platform.id, by, { expectedTargetId: distribution.targetPlatformId });
          log.fn(`Made ${platform.name} the upgrade target of ${distribution.slug}.`);
          return true;
        } catch (error) {
          if (error instanceof ConflictError) continue;
          // The build itself succeeded; a refused target change is recorded, not turned into a failed build.
          log.fn(`Could not make ${platform.name} the upgrade target: ${errorText(error)}`, 'warn');
          return false;
        }
      }
      return false;
    } finally {
      release();
    }
  }

  /** The target locks every other platform of its distribution, including ones built after it was set. */
  private async lockIfNotTarget(platform: Platform, log: { fn: LogFn }): Promise<void> {
    const distribution = await this.deps.repos.distributions.get(platform.distributionId);
    if (!distribution?.targetPlatformId || distribution.targetPlatformId === platform.id) return;
    if (await this.platforms.setStatus(platform.id, 'locked', ['ready'])) {
      log.fn(`Locked: the upgrade target of ${distribution.slug} is another platform.`);
    }
  }

  /** Driver log lines go to the platform's buildLog in order, batched; flush() waits for them. */
  private buildLog(platformId: string): { fn: LogFn; flush: () => Promise<void> } {
    let pending: string[] = [];
    let chain: Promise<void> = Promise.resolve();
    const drain = () => {
      const lines = pending;
      pending = [];
      if (lines.length) chain = chain.then(() => this.platforms.appendBuildLog(platformId, lines));
    };
    return {
      fn: (message, level = 'info') => {
        if (pending.length === 0) queueMicrotask(drain);
        pending.push(level === 'info' ? message : `${level}: ${message}`);
      },
      flush: async () => {
        drain();
        await chain;
      },
    };
  }
}
