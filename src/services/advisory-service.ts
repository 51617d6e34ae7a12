/**
 * Security advisories drive the fleet: polls the advisory feeds, makes each new snapshot in force together with its
 * event (one store commit), keeps exposure (which locked packages of which platform an advisory covers, and so
 * which sites are exposed) up to date incrementally, and decides for each event and distribution whether the
 * upgrade target fixes it (`assessEvent`, the one place that decision is made). Slack delivery is the notifier's;
 * what was announced is recorded here, so a restart neither loses nor doubles an announcement.
 */
import { feedIndexProblem, indexConflictMap, indexingConflictMap, readConflictMap, type AdvisoryIndex } from '../domain/compare/advisories.js';
import { runInSlices } from '../lib/run-in-slices.js';
import { diffConflicts, mergeConflicts, type AdvisoryAnnouncement, type AdvisoryEvent, type AdvisorySnapshot } from '../domain/advisory-feed.js';
import { digestDueKey } from '../domain/advisory-digest.js';
import { compareVersions } from '../domain/compare/versions.js';
import type { Distribution } from '../domain/distribution.js';
import { TransientError, ValidationError } from '../domain/errors.js';
import { EventCoverage, ExposureIndex, siteExposure, type ExposedPackage } from '../domain/exposure.js';
import { ALL_ITEMS, type AdvisoryFeedReader, type Clock, type EventPublisher, type Page, type PageRequest, type Repositories } from '../domain/ports.js';
import { LIVE_STATUSES, type Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import { mustGet, resolveDistribution, resolvePlatform, resolveSite } from './lookup.js';

/** A claimed digest nobody posted within this long is offered again; a posted one is remembered for 8 days. */
const DIGEST_LEASE_MS = 10 * 60_000;
const DIGEST_TTL_MS = 8 * 24 * 3_600_000;

/** A claimed announcement with no message after this long is offered again (its poster died). */
export const ANNOUNCE_STALE_MS = 10 * 60_000;
/** How long advisoryIndex trusts its cached map before asking the store whether another process committed one. */
export const ADVISORY_RECHECK_MS = 2_000;

export type FeedPollOutcome =
  | { source: string; outcome: 'unchanged' | 'same-map' }
  | { source: string; outcome: 'event'; event: AdvisoryEvent }
  | { source: string; outcome: 'refused' | 'unreachable'; notice: string }
  /** Another poller committed first: its event stands. */
  | { source: string; outcome: 'lost-race' };

export interface PlatformExposureRow {
  platform: Platform;
  /** Exposed packages of the platform (in an assessment: those the event newly exposes). */
  packages: ExposedPackage[];
  /** Sites on it whose exposure (narrowed by their enabled modules) is not empty. */
  sites: Site[];
}

/** An advisory event as it concerns one distribution: the decision item 5 (automatic rollouts) hooks into. */
export interface EventAssessment {
  event: AdvisoryEvent;
  distribution: Distribution;
  /** Changed packages that newly expose at least one site of the distribution. */
  packages: string[];
  platforms: PlatformExposureRow[];
  exposedSites: number;
  /** The way out: the upgrade target when it is not exposed to any of `packages`; null when nothing fixes it yet. */
  fix: { platform: Platform; sitesToMove: number } | null;
}

/** What may act on an event for one distribution before it is announced (automatic security upgrades). */
export type AdvisoryEventAction<T> = (a: EventAssessment) => Promise<T>;

/** A weekly digest: what is still exposed in one distribution and what would fix it. */
export interface AdvisoryDigest {
  distribution: Distribution;
  exposedSites: number;
  totalSites: number;
  /** Per package, most exposed sites first: the covered versions run, and the build that fixes it (the target when it does). */
  packages: Array<{ name: string; sites: number; versions: string[]; fix: { platform: Platform; isTarget: boolean } | null }>;
  target: Platform | null;
  /** Exposed sites (not on the target) that the target fixes entirely. */
  targetFixes: number;
}

export interface SiteExposureRow {
  site: Site;
  platform: Platform;
  distribution: Distribution;
  packages: ExposedPackage[];
}

export interface DistributionExposure {
  distribution: Distribution;
  exposedSites: number;
  totalSites: number;
  /** Package → number of exposed sites, most first. */
  packages: Array<{ name: string; sites: number }>;
  target: Platform | null;
  /** Exposed packages the target still locks at a covered version (empty: the target fixes them all). */
  targetExposed: ExposedPackage[];
}

export interface FeedStatus {
  source: string;
  label: string;
  snapshot: { commit: string; fetchedAt: Date; packages: number } | null;
  lastError: string | null;
  lastCheckedAt: string | null;
}

export interface ExposureFilter {
  distribution?: string;
  package?: string;
  site?: string;
}

export interface AdvisoryServiceDeps {
  repos: Repositories;
  events: EventPublisher;
  feeds: AdvisoryFeedReader[];
  /** Feed size limit (ADVISORY_FEED_MAX_MB), also the parser's. */
  maxBytes: number;
  /** The bundled conflict map, in force until a feed snapshot is. */
  fallback?: () => Promise<AdvisoryIndex | undefined>;
  clock?: Clock;
}

interface Cache {
  /** Ids of the snapshots in force the index was computed for, joined. */
  key: string;
  /** The merged conflict map (null: the bundled fallback) and its index. */
  conflict: Record<string, string> | null;
  advisories: AdvisoryIndex;
}

export class AdvisoryService {
  private readonly index = new ExposureIndex();
  private cache: Cache | null = null;
  /** Snapshot id → the package names its event changed, for the incremental step in this process. */
  private readonly changedBy = new Map<string, { previousKey: string; names: string[] }>();
  private readonly clock: Clock;
  /** When advisoryIndex last checked the store (ms). */
  private checkedAt = 0;
  /** The last refresh started: refreshes run one at a time. */
  private refreshing: Promise<void> | null = null;

  constructor(private readonly deps: AdvisoryServiceDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
  }

  // ---------------------------------------------------------------- feed polling

  hasFeeds(): boolean {
    return this.deps.feeds.length > 0;
  }

  /** Polls every feed once. A refused feed keeps its last good snapshot in force; its notice is recorded. */
  async poll(): Promise<FeedPollOutcome[]> {
    const out: FeedPollOutcome[] = [];
    for (const feed of this.deps.feeds) {
      try {
        out.push(await this.pollFeed(feed));
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        // Unreachable for now: said on the surfaces, tried again at the next poll; the last snapshot stays.
        await this.deps.repos.advisories.updateFeedState(feed.source, { lastCheckedAt: this.clock.now().toISOString(), lastError: error.message.slice(0, 2000) });
        out.push({ source: feed.source, outcome: 'unreachable', notice: error.message });
      }
    }
    return out;
  }

  private async pollFeed(feed: AdvisoryFeedReader): Promise<FeedPollOutcome> {
    const { repos } = this.deps;
    const source = feed.source;
    const state = await repos.advisories.getFeedState(source);
    const checkedAt = this.clock.now().toISOString();
    let read;
    try {
      read = await feed.read(state);
    } catch (error) {
      if (error instanceof TransientError || !(error instanceof Error)) throw error;
      return this.refuse(feed, error, checkedAt);
    }
    if (read.unchanged) {
      await repos.advisories.updateFeedState(source, { ...read.state, lastCheckedAt: checkedAt, lastError: '' });
      return { source, outcome: 'unchanged' };
    }
    let conflict: Record<string, string>;
    try {
      // Strict, and indexed in slices: a heavy map never holds requests up for longer than one slice.
      const label = `The advisory feed ${feed.label}`;
      conflict = readConflictMap(read.text, label, this.deps.maxBytes);
      const problem = feedIndexProblem(await runInSlices(indexingConflictMap(conflict)), label);
      if (problem) throw problem;
    } catch (error) {
      return this.refuse(feed, error as Error, checkedAt, read.commit);
    }
    const previous = await repos.advisories.inForce(source);
    const changes = diffConflicts(previous?.conflict ?? {}, conflict);
    const feedState = { ...read.state, lastCheckedAt: checkedAt, lastError: '' };
    if (previous && !changes.length) {
      await repos.advisories.updateFeedState(source, feedState);
      return { source, outcome: 'same-map' };
    }
    const at = this.clock.now();
    const previousKey = this.cache?.key ?? '';
    const committed = await repos.advisories.commitSnapshot(
      { source, commit: read.commit, fetchedAt: at, conflict },
      { source, previousSnapshotId: previous?.id ?? null, commit: read.commit, at, changes, initial: previous === null },
      previous?.id ?? null,
    );
    if (!committed) return { source, outcome: 'lost-race' };
    this.checkedAt = 0;
    await repos.advisories.updateFeedState(source, feedState);
    this.changedBy.set(committed.snapshot.id, { previousKey, names: changes.map((c) => c.name) });
    // Announced after the commit; an event whose announcement is cut off by a crash is picked up by recovery.
    await this.deps.events.publish({ type: 'advisory.published', eventId: committed.event.id });
    return { source, outcome: 'event', event: committed.event };
  }

  private async refuse(feed: AdvisoryFeedReader, error: Error, checkedAt: string, commit?: string): Promise<FeedPollOutcome> {
    const notice = `${error.message}${error instanceof ValidationError && error.hint ? ` ${error.hint}` : ''}`.slice(0, 2000);
    const state = await this.deps.repos.advisories.getFeedState(feed.source);
    await this.deps.repos.advisories.updateFeedState(feed.source, { lastCheckedAt: checkedAt, lastError: notice, ...(commit ? { refusedCommit: commit } : {}) });
    // Said once per distinct problem, not at every poll.
    if (state.lastError !== notice) await this.deps.events.publish({ type: 'advisory.refused', source: feed.source, label: feed.label, notice });
    return { source: feed.source, outcome: 'refused', notice };
  }

  async feedStatus(): Promise<FeedStatus[]> {
    const { advisories } = this.deps.repos;
    return Promise.all(
      this.deps.feeds.map(async (feed) => {
        const [snapshot, state] = await Promise.all([advisories.inForce(feed.source), advisories.getFeedState(feed.source)]);
        return {
          source: feed.source,
          label: feed.label,
          snapshot: snapshot ? { commit: snapshot.commit, fetchedAt: snapshot.fetchedAt, packages: Object.keys(snapshot.conflict).length } : null,
          lastError: state.lastError || null,
          lastCheckedAt: state.lastCheckedAt ?? null,
        };
      }),
    );
  }

  // ---------------------------------------------------------------- exposure

  /**
   * The advisory map in force (every feed's snapshot merged), or the bundled one before the first. Compare asks
   * for it on every summary render, so the store is asked at most every ADVISORY_RECHECK_MS (a snapshot this
   * process commits is seen at once; one committed by another process within that time).
   */
  async advisoryIndex(): Promise<AdvisoryIndex | undefined> {
    const now = this.clock.now().getTime();
    if (!this.cache || now - this.checkedAt >= ADVISORY_RECHECK_MS) {
      await this.serialized(() => this.refreshAdvisories());
      this.checkedAt = now;
    }
    return this.cache?.advisories;
  }

  /**
   * Brings the exposure index up to date with the store: a new snapshot recomputes only platforms locking a
   * changed package (when this process saw the event), a new or rebuilt platform only itself.
   */
  async refresh(): Promise<ExposureIndex> {
    await this.serialized(async () => {
      await this.refreshAdvisories();
      const live = (await this.deps.repos.platforms.list({ status: [...LIVE_STATUSES] }, ALL_ITEMS)).items;
      const seen = new Set<string>();
      for (const p of live) {
        seen.add(p.id);
        this.index.upsertPlatform(p.id, String(p.updatedAt.getTime()), p.manifest.packages);
      }
      for (const id of this.index.platformIds()) if (!seen.has(id)) this.index.removePlatform(id);
    });
    return this.index;
  }

  /** Runs refreshes one at a time; each caller's starts after it asked, so it sees what was committed by then. */
  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = (this.refreshing ?? Promise.resolve()).then(fn);
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private async refreshAdvisories(): Promise<void> {
    const { advisories } = this.deps.repos;
    const key = (await advisories.inForceIds()).join(',');
    if (this.cache && this.cache.key === key) return;
    const snapshots = key ? await advisories.listInForce() : [];
    const conflict = snapshots.length ? mergeConflicts(snapshots.map((s) => s.conflict)) : null;
    const previous = this.cache?.conflict ? { conflict: this.cache.conflict, index: this.cache.advisories } : undefined;
    // Unchanged constraints are reused from the previous map: a new snapshot parses only what changed.
    const merged = conflict ? await runInSlices(indexingConflictMap(conflict, previous)) : ((await this.deps.fallback?.()) ?? indexConflictMap({}));
    const step = this.incrementalStep(snapshots);
    this.index.setAdvisories(merged, step ?? undefined);
    this.cache = { key: snapshots.map((s) => s.id).join(','), conflict, advisories: merged };
  }

  /** The changed package names when exactly one snapshot replaced the one the index was computed for. */
  private incrementalStep(snapshots: AdvisorySnapshot[]): string[] | null {
    if (!this.cache) return null;
    const changed = snapshots.filter((s) => this.changedBy.has(s.id));
    if (changed.length !== 1) return null;
    const step = this.changedBy.get(changed[0]!.id)!;
    this.changedBy.delete(changed[0]!.id);
    return step.previousKey === this.cache.key ? step.names : null;
  }

  /** Exposed packages of a platform under the advisories in force. */
  async platformExposure(platformKey: string): Promise<{ platform: Platform; packages: ExposedPackage[]; sites: SiteExposureRow[] }> {
    const platform = await resolvePlatform(this.deps.repos, platformKey);
    const rows = (await this.exposure({}, ALL_ITEMS)).items.filter((r) => r.platform.id === platform.id);
    return { platform, packages: (await this.refresh()).exposureOf(platform.id), sites: rows };
  }

  /** Exposed sites (with their exposed packages), filtered by distribution, package or site; sorted by site name. */
  async exposure(filter: ExposureFilter = {}, page: PageRequest = { limit: 50, offset: 0 }): Promise<Page<SiteExposureRow>> {
    const { repos } = this.deps;
    const index = await this.refresh();
    const distribution = filter.distribution ? await resolveDistribution(repos, filter.distribution) : null;
    const site = filter.site ? await resolveSite(repos, filter.site) : null;
    const packageName = filter.package?.toLowerCase();
    let platforms = (await repos.platforms.list({ status: [...LIVE_STATUSES], ...(distribution ? { distributionId: distribution.id } : {}) }, ALL_ITEMS)).items;
    platforms = platforms.filter((p) => index.exposureOf(p.id).length && (!site || site.platformId === p.id));
    if (!platforms.length) return { items: [], total: 0 };
    const byId = new Map(platforms.map((p) => [p.id, p]));
    const distributions = new Map<string, Distribution>();
    const sites = site ? [site] : (await repos.sites.list({ platformIds: platforms.map((p) => p.id) }, ALL_ITEMS)).items;
    const rows: SiteExposureRow[] = [];
    for (const s of sites) {
      const platform = byId.get(s.platformId);
      if (!platform) continue;
      let packages = siteExposure(index.exposureOf(platform.id), s.modules);
      if (packageName) packages = packages.filter((p) => p.name.toLowerCase() === packageName);
      if (!packages.length) continue;
      let d = distributions.get(platform.distributionId);
      if (!d) distributions.set(platform.distributionId, (d = await mustGet('distribution', platform.distributionId, (id) => repos.distributions.get(id))));
      rows.push({ site: s, platform, distribution: d, packages });
    }
    return { items: rows.slice(page.offset, page.offset + page.limit), total: rows.length };
  }

  /** Per distribution: exposed sites, the packages exposing them, and whether the target still locks them. */
  async summary(distributionKey?: string): Promise<DistributionExposure[]> {
    const { repos } = this.deps;
    const index = await this.refresh();
    const distributions = distributionKey ? [await resolveDistribution(repos, distributionKey)] : (await repos.distributions.list(ALL_ITEMS)).items;
    return Promise.all(
      distributions.map(async (distribution) => {
        const rows = (await this.exposure({ distribution: distribution.id }, ALL_ITEMS)).items;
        const platforms = (await repos.platforms.list({ distributionId: distribution.id, status: [...LIVE_STATUSES] }, ALL_ITEMS)).items;
        const counts = await repos.sites.countByPlatform(platforms.map((p) => p.id));
        const perPackage = new Map<string, number>();
        for (const r of rows) for (const p of r.packages) perPackage.set(p.name, (perPackage.get(p.name) ?? 0) + 1);
        const target = platforms.find((p) => p.id === distribution.targetPlatformId) ?? null;
        return {
          distribution,
          exposedSites: rows.length,
          totalSites: Object.values(counts).reduce((a, b) => a + b, 0),
          packages: [...perPackage].map(([name, sites]) => ({ name, sites })).sort((a, b) => b.sites - a.sites || (a.name < b.name ? -1 : 1)),
          target,
          targetExposed: target ? index.exposedTo(target.id, perPackage.keys()) : [],
        };
      }),
    );
  }

  /**
   * What one advisory event means for each distribution: the sites it newly exposes (a changed constraint covers
   * their locked version now and did not in the previous snapshot), on which platforms, and the way out (the
   * target, when it locks none of those packages at a version covered now). Sites that stay exposed are not
   * listed again: the weekly digest (`policy.advisoryDigest`) reminds of them. Only distributions with newly
   * exposed sites are listed. The single decision point for acting on an event (announcements and automatic
   * security rollouts).
   */
  async assessEvent(event: AdvisoryEvent): Promise<EventAssessment[]> {
    if (event.initial) return [];
    const { repos } = this.deps;
    const coverage = new EventCoverage(event.changes, await this.otherSources(event.source));
    if (!coverage.names.size) return [];
    const index = await this.refresh();
    const platforms = (await repos.platforms.list({ status: [...LIVE_STATUSES] }, ALL_ITEMS)).items;
    const exposed = platforms.map((p) => ({ platform: p, packages: coverage.newlyExposed(p.manifest.packages) })).filter((x) => x.packages.length);
    if (!exposed.length) return [];
    const sites = (await repos.sites.list({ platformIds: exposed.map((x) => x.platform.id) }, ALL_ITEMS)).items;
    const byDistribution = new Map<string, PlatformExposureRow[]>();
    for (const x of exposed) {
      const onIt = sites.filter((s) => s.platformId === x.platform.id && siteExposure(x.packages, s.modules).length);
      if (!onIt.length) continue;
      const list = byDistribution.get(x.platform.distributionId) ?? [];
      list.push({ platform: x.platform, packages: x.packages, sites: onIt });
      byDistribution.set(x.platform.distributionId, list);
    }
    const out: EventAssessment[] = [];
    for (const [distributionId, rows] of byDistribution) {
      const distribution = await repos.distributions.get(distributionId);
      if (!distribution) continue;
      const packages = [...new Set(rows.flatMap((r) => r.packages.map((p) => p.name)))].sort();
      const exposedSites = rows.reduce((n, r) => n + r.sites.length, 0);
      const target = platforms.find((p) => p.id === distribution.targetPlatformId);
      const fixed = target && index.versionOf(target.id) !== undefined && index.exposedTo(target.id, packages).length === 0;
      out.push({ event, distribution, packages, platforms: rows, exposedSites, fix: fixed ? { platform: target, sitesToMove: exposedSites } : null });
    }
    return out.sort((a, b) => (a.distribution.slug < b.distribution.slug ? -1 : 1));
  }

  /** The merged conflict map of the other feeds in force (empty with one feed, the usual case). */
  private async otherSources(source: string): Promise<Record<string, string>> {
    const { advisories } = this.deps.repos;
    if ((await advisories.inForceIds()).length < 2) return {};
    const others = (await advisories.listInForce()).filter((s) => s.source !== source);
    return others.length ? mergeConflicts(others.map((s) => s.conflict)) : {};
  }

  // ---------------------------------------------------------------- announcements (bookkeeping; Slack posts them)

  /**
   * Announces one event: for each distribution it exposes, claims the announcement (once, across processes),
   * lets `post` send it and records the message. Marks the event announced once every distribution was handled.
   * `act` (automatic security upgrades) runs for every exposed distribution first, channel or not; its outcome is
   * handed to `post`.
   */
  async deliver<T = undefined>(
    eventId: string,
    channelOf: (d: Distribution) => string | null,
    post: (a: EventAssessment, channel: string, acted: T | undefined) => Promise<string>,
    act?: AdvisoryEventAction<T>,
  ): Promise<number> {
    const { advisories } = this.deps.repos;
    const event = await advisories.getEvent(eventId);
    if (!event || event.announced) return 0;
    let posted = 0;
    for (const a of await this.assessEvent(event)) {
      // Acts first (idempotent: a re-delivery after a crash finds what it started), so the announcement can say it.
      const acted = act ? await act(a) : undefined;
      const channel = channelOf(a.distribution);
      if (!channel) continue;
      if (!(await advisories.claimAnnouncement(event.id, a.distribution.id, channel, this.clock.now(), ANNOUNCE_STALE_MS))) continue;
      const ts = await post(a, channel, acted);
      await advisories.setAnnouncementTs(event.id, a.distribution.id, ts);
      // The announcement already named the way out: no follow-up will be needed.
      if (a.fix) await advisories.markFixed(event.id, a.distribution.id, a.fix.platform.id);
      posted++;
    }
    await advisories.markAnnounced(event.id);
    return posted;
  }

  /** Events committed but not (fully) announced: a process died between the commit and the posts. */
  async unannounced(): Promise<AdvisoryEvent[]> {
    return (await this.deps.repos.advisories.listEvents({ unannounced: true }, { limit: 100, offset: 0 })).items;
  }

  /**
   * Open announcements of the platform's distribution that it fixes (it locks none of their packages at a covered
   * version), each claimed once: the notifier posts the follow-up in the announcement's thread.
   */
  async fixedBy(platformId: string): Promise<Array<{ announcement: AdvisoryAnnouncement; event: AdvisoryEvent; platform: Platform; distribution: Distribution }>> {
    const { repos } = this.deps;
    const platform = await repos.platforms.get(platformId);
    if (!platform || !LIVE_STATUSES.includes(platform.status)) return [];
    const distribution = await mustGet('distribution', platform.distributionId, (id) => repos.distributions.get(id));
    const index = await this.refresh();
    const out = [];
    for (const announcement of await repos.advisories.listOpenAnnouncements(distribution.id)) {
      const event = await repos.advisories.getEvent(announcement.eventId);
      if (!event) continue;
      // Fixed when the build locks none of the packages the announcement named at a version covered now.
      const assessed = (await this.assessEvent(event)).find((a) => a.distribution.id === distribution.id);
      const names = assessed?.packages ?? event.changes.filter((c) => c.after !== null).map((c) => c.name);
      if (index.exposedTo(platform.id, names).length) continue;
      if (await repos.advisories.markFixed(event.id, distribution.id, platform.id)) out.push({ announcement, event, platform, distribution });
    }
    return out;
  }

  // ---------------------------------------------------------------- weekly digest (policy.advisoryDigest)

  /**
   * Claims every digest due at `now` (once per distribution and scheduled day, across processes) and publishes it
   * for the notifier, which posts it and calls digestPosted. A claim whose poster died is offered again after
   * DIGEST_LEASE_MS, while the digest's hour lasts. Returns the claimed keys.
   */
  async startDigests(now: Date = this.clock.now()): Promise<string[]> {
    const { repos, events } = this.deps;
    const claimed: string[] = [];
    for (const d of (await repos.distributions.list(ALL_ITEMS)).items) {
      const day = digestDueKey(d.policy.advisoryDigest, now);
      if (!day) continue;
      const key = `advisory-digest:${d.id}:${day}`;
      if ((await repos.redeliveries.claim(key, DIGEST_TTL_MS, DIGEST_LEASE_MS)) !== 'claimed') continue;
      claimed.push(key);
      await events.publish({ type: 'advisory.digest', distributionId: d.id, key });
    }
    return claimed;
  }

  /** Marks a claimed digest posted: it is not offered again. */
  digestPosted(key: string): Promise<void> {
    return this.deps.repos.redeliveries.complete(key);
  }

  /** What a distribution's digest says: the sites still exposed, per package, and what would fix each. */
  async digest(distributionKey: string): Promise<AdvisoryDigest> {
    const { repos } = this.deps;
    const [summary] = await this.summary(distributionKey);
    const { distribution, target } = summary!;
    const index = await this.refresh();
    const rows = (await this.exposure({ distribution: distribution.id }, ALL_ITEMS)).items;
    // Newest first, so the first one that is clean is the build to move to.
    const platforms = (await repos.platforms.list({ distributionId: distribution.id, status: [...LIVE_STATUSES] }, ALL_ITEMS)).items.sort(
      (a, b) => compareVersions(b.source.ref, a.source.ref) || b.createdAt.getTime() - a.createdAt.getTime(),
    );
    const clean = (p: Platform, name: string) => index.versionOf(p.id) !== undefined && !index.exposedTo(p.id, [name]).length;
    const packages = summary!.packages.map(({ name, sites }) => {
      const versions = [...new Set(rows.flatMap((r) => r.packages.filter((p) => p.name === name).map((p) => p.version)))].sort(compareVersions);
      const way = target && clean(target, name) ? target : platforms.find((p) => clean(p, name));
      return { name, sites, versions, fix: way ? { platform: way, isTarget: way.id === target?.id } : null };
    });
    // Sites the target fixes entirely: what Review upgrades would move.
    const targetFixes = target ? rows.filter((r) => r.platform.id !== target.id && r.packages.every((p) => clean(target, p.name))).length : 0;
    return { distribution, exposedSites: summary!.exposedSites, totalSites: summary!.totalSites, packages, target, targetFixes };
  }

  getEvent(id: string): Promise<AdvisoryEvent | null> {
    return this.deps.repos.advisories.getEvent(id);
  }

  /** Recent events, newest first, optionally those touching one package. */
  listEvents(filter: { package?: string } = {}, page: PageRequest = { limit: 20, offset: 0 }): Promise<Page<AdvisoryEvent>> {
    return this.deps.repos.advisories.listEvents(filter.package ? { packageName: filter.package } : {}, page);
  }
}
