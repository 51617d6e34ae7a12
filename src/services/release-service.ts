/**
 * Build any release: every tag of a distribution's upstream that matches its pattern, with what Distro has of it
 * (built / not built / failed …), and a build of one chosen tag or branch — an older release the first poll marked
 * as seen, or a failed build again. Framework-free: ports only.
 */
import type { Actor } from '../domain/actor.js';
import type { AuditSubject } from '../domain/audit.js';
import { compareVersions } from '../domain/compare/versions.js';
import type { Distribution, UpstreamSource } from '../domain/distribution.js';
import { ConflictError, TransientError, ValidationError } from '../domain/errors.js';
import { ALL_ITEMS, type Repositories, type UpstreamBuild } from '../domain/ports.js';
import type { Platform, PlatformStatus } from '../domain/platform.js';
import { refNameProblem } from '../domain/ref-name.js';
import { TAGS_KEY } from '../domain/upstream-tracking.js';
import type { AuditLog } from './audit-log.js';
import { resolveDistribution } from './lookup.js';
import { UPSTREAM_TEST_TIMEOUT_MS, type PollService } from './poll-service.js';

/** What Distro has of one upstream tag. */
export type ReleaseState = 'built' | 'not built' | 'failed' | 'queued' | 'building' | 'deleted';

export interface UpstreamRelease {
  ref: string;
  commit: string;
  state: ReleaseState;
  /** The platform of that commit, when there is one. */
  platform: string | null;
}

export interface BuildRequested {
  platform: Platform;
  /** `queued`: a build was queued now (new, or a failed one again); otherwise what the platform already is. */
  outcome: 'queued' | 'already-built' | 'already-queued';
}

const STATE_OF: Record<PlatformStatus, ReleaseState> = {
  queued: 'queued',
  building: 'building',
  ready: 'built',
  locked: 'built',
  failed: 'failed',
  deleted: 'deleted',
};

/** At most this many tags are listed (GitHub answers 100 per page; a git remote can have thousands). */
export const MAX_LISTED_RELEASES = 1000;

const platformSubject = (p: Platform): AuditSubject => ({ kind: 'platform', id: p.id, name: p.name });

export class ReleaseService {
  constructor(private readonly deps: { repos: Repositories; polls: PollService; audit: AuditLog; timeoutMs?: number }) {}

  /** Every tag matching the upstream's pattern (`*` when it sets none), oldest first, with their commits. */
  async upstreamTags(upstream: UpstreamSource): Promise<Array<{ ref: string; commit: string }>> {
    const probeUpstream = { ...upstream, tagPattern: upstream.tagPattern ?? '*' } as UpstreamSource;
    delete probeUpstream.branch;
    // An empty "seen" list makes every matching tag new: the checker's own filtering (valid ref names) applies.
    const builds = await this.check(probeUpstream, { [TAGS_KEY]: '[]' });
    return builds
      .filter((b) => b.kind === 'tag')
      .map((b) => ({ ref: b.ref, commit: b.commit }))
      .sort((a, b) => compareVersions(a.ref, b.ref))
      .slice(-MAX_LISTED_RELEASES);
  }

  /** The distribution's matching tags with their state here, oldest first. */
  async releases(distributionKey: string): Promise<{ distribution: Distribution; releases: UpstreamRelease[] }> {
    const distribution = await resolveDistribution(this.deps.repos, distributionKey);
    const upstream = this.deps.polls.requireUpstream(distribution);
    return { distribution, releases: await this.statesOf(distribution, await this.upstreamTags(upstream)) };
  }

  /** What Distro has of each listed tag: a platform of that commit (or, failing that, of that ref). */
  async statesOf(distribution: Distribution, tags: Array<{ ref: string; commit: string }>): Promise<UpstreamRelease[]> {
    const platforms = (await this.deps.repos.platforms.list({ distributionId: distribution.id }, ALL_ITEMS)).items;
    const byCommit = new Map(platforms.map((p) => [p.source.commit, p]));
    const byRef = new Map(platforms.map((p) => [p.source.ref, p]));
    return tags.map((t) => {
      const p = byCommit.get(t.commit) ?? byRef.get(t.ref);
      return { ref: t.ref, commit: t.commit, state: p ? STATE_OF[p.status] : 'not built', platform: p?.name ?? null };
    });
  }

  /**
   * Builds a chosen tag (or, when no tag has that name, branch head) of the distribution's upstream. A platform of
   * that commit that failed is built again; one that is built or queued is left as it is. The ref name is checked
   * as git would before it reaches git, and is matched against what the upstream advertises, never passed as an option.
   */
  async build(distributionKey: string, ref: string, actor: Actor): Promise<BuildRequested> {
    const problem = refNameProblem(typeof ref === 'string' ? ref : '');
    if (problem) throw new ValidationError('Invalid ref.', [`ref: not a valid git tag or branch name (${problem})`]);
    const distribution = await resolveDistribution(this.deps.repos, distributionKey);
    const upstream = this.deps.polls.requireUpstream(distribution);
    const build = await this.resolve(distribution, upstream, ref);
    const recorded = await this.deps.polls.recordBuild(distribution, build, actor);
    let platform = recorded.platform;
    let outcome: BuildRequested['outcome'];
    if (recorded.created) outcome = 'queued';
    else if (platform.status === 'failed' || platform.status === 'deleted') {
      // A failed (or deleted) build of this commit is built again, on the same record.
      const again = await this.deps.repos.platforms.setStatus(platform.id, 'queued', [platform.status]);
      if (!again) throw new ConflictError(`The build of ${platform.name} changed meanwhile; try again.`);
      platform = again;
      await this.deps.repos.platforms.appendBuildLog(platform.id, ['Queued again on request.']);
      await this.deps.polls.enqueueBuild(platform);
      outcome = 'queued';
    } else outcome = platform.status === 'queued' || platform.status === 'building' ? 'already-queued' : 'already-built';
    if (outcome === 'queued') {
      await this.deps.audit.record({ actor, action: 'platform.build', subject: platformSubject(platform), details: { ref: build.ref, commit: build.commit, retry: !recorded.created } });
    }
    return { platform, outcome };
  }

  /** Builds several tags at once ("Build all listed"); each result or refusal, in order. */
  async buildMany(distributionKey: string, refs: string[], actor: Actor): Promise<Array<{ ref: string; result?: BuildRequested; error?: string }>> {
    const out: Array<{ ref: string; result?: BuildRequested; error?: string }> = [];
    for (const ref of refs) {
      try {
        out.push({ ref, result: await this.build(distributionKey, ref, actor) });
      } catch (error) {
        if (!(error instanceof ValidationError || error instanceof ConflictError)) throw error;
        out.push({ ref, error: error.message + (error instanceof ValidationError && error.issues.length ? ` ${error.issues.join('; ')}` : '') });
      }
    }
    return out;
  }

  private async resolve(distribution: Distribution, upstream: UpstreamSource, ref: string): Promise<UpstreamBuild> {
    // A pattern equal to the name matches that tag only (`*` cannot occur in a valid ref name).
    const asTag = { ...upstream, tagPattern: ref, initialBuilds: 1 } as UpstreamSource;
    delete asTag.branch;
    const tag = (await this.check(asTag, {})).find((b) => b.kind === 'tag' && b.ref === ref);
    if (tag) return tag;
    const asBranch = { ...upstream, branch: ref } as UpstreamSource;
    delete asBranch.tagPattern;
    try {
      const head = (await this.check(asBranch, {})).find((b) => b.kind === 'branch');
      if (head) return head;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
    }
    throw new ValidationError(`No tag or branch \`${ref}\` at the upstream of ${distribution.slug}.`, [`ref: no tag or branch of that name upstream`]);
  }

  /** One bounded check of `upstream` with the given bookkeeping, as a poll makes it. */
  private async check(upstream: UpstreamSource, pollState: Record<string, string>): Promise<UpstreamBuild[]> {
    const checker = this.deps.polls.checkerFor(upstream);
    const at = new Date(0);
    const probe: Distribution = {
      ...{ id: 'release-probe', slug: 'release-probe', title: 'release probe', description: '', channel: null, targetPlatformId: null },
      ...{ upstream, policy: { pollIntervalMinutes: 0, autoTarget: false }, pollState, lastPoll: null, createdAt: at, updatedAt: at },
    };
    const ms = this.deps.timeoutMs ?? UPSTREAM_TEST_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransientError(`The upstream did not answer within ${Math.round(ms / 1000)} s.`)), ms);
    });
    try {
      return (await Promise.race([checker.check(probe), timeout])).builds;
    } finally {
      clearTimeout(timer);
    }
  }
}
