/**
 * View-model queries for the admin pages: everything a page shows, read through the services and ports here,
 * so the HTTP layer only renders. Failures come first: what needs a human is gathered in `attention`.
 */
import { buildFailure } from '../domain/build-failure.js';
import type { CompareResult } from '../domain/compare/types.js';
import type { Distribution } from '../domain/distribution.js';
import { ALL_ITEMS, type PageRequest, type Repositories } from '../domain/ports.js';
import { NotFoundError } from '../domain/errors.js';
import type { Platform } from '../domain/platform.js';
import { upgradeRefusal } from '../domain/rules.js';
import { planProgress, type ProgressCounts } from '../domain/rollout-progress.js';
import type { Site, SiteStatus } from '../domain/site.js';
import { FINAL_TASK_STATES, type Task } from '../domain/task.js';
import type { UpgradePlan } from '../domain/upgrade-plan.js';
import type { CompareOptions, CompareService, PlatformSecurity } from './compare-service.js';
import type { DistributionDetail, DistributionService, OutdatedGroup } from './distribution-service.js';
import type { PlatformService } from './platform-service.js';
import type { SiteService } from './site-service.js';
import type { TaskService } from './task-service.js';
import type { PlanView, UpgradeService } from './upgrade-service.js';

/** Sites by their platform's security status, across the fleet or one distribution. */
export interface SecurityCounts {
  /** On a platform with an advisory that the upgrade target fixes. */
  fixWaiting: number;
  /** On a platform with an advisory that the target does not fix (or there is no target). */
  insecure: number;
  /** On a platform no advisory covers. */
  clean: number;
}

export interface FailedBuild {
  platform: Platform;
  distribution: Distribution | null;
  error: string;
}

export interface Rollout {
  plan: UpgradePlan;
  distribution: Distribution | null;
  target: Platform | null;
  progress: ProgressCounts;
}

export interface DistributionCard extends DistributionDetail {
  security: Map<string, PlatformSecurity>;
  securityCounts: SecurityCounts;
}

export interface DashboardView {
  attention: {
    /** The newest task of a site (or platform) of each type, where that task failed: still unresolved. */
    failedTasks: Task[];
    failedBuilds: FailedBuild[];
    /** Distributions whose latest upstream check failed. */
    failedPolls: Distribution[];
    /** Per distribution and platform: sites on insecure code, and whether the target fixes it. */
    insecure: { distribution: Distribution; platform: Platform; sites: number; fixes: string[]; packages: string[] }[];
  };
  distributions: DistributionCard[];
  security: SecurityCounts;
  rollouts: Rollout[];
  active: Task[];
  /** Finished tasks only (running ones are listed once, under `active`). */
  recent: Task[];
  platformNames: Map<string, string>;
}

export interface DistributionView {
  detail: DistributionCard;
  outdated: OutdatedGroup[];
  rollouts: Rollout[];
  /** Unresolved failed tasks moving to or from its platforms. */
  failedTasks: Task[];
}

export interface PlatformView {
  platform: Platform;
  distribution: Distribution | null;
  target: Platform | null;
  sites: Site[];
  siteTotal: number;
  security: PlatformSecurity;
}

export interface SiteView {
  site: Site;
  platform: Platform;
  distribution: Distribution | null;
  target: Platform | null;
  refusal: string | null;
  tasks: Task[];
  platformNames: Map<string, string>;
  security: PlatformSecurity;
  /** Its newest task, when that failed (nothing has retried it since). */
  failure: Task | null;
}

export interface TaskView {
  task: Task;
  platformNames: Map<string, string>;
}

export interface CompareView {
  from: Platform;
  to: Platform;
  distributions: { from: Distribution | null; to: Distribution | null };
  result: CompareResult;
  site: string | null;
}

export interface UpgradeView extends PlanView {
  progress: ProgressCounts;
}

/** Sites listed on one page (distribution, platform, exposure). */
export const SITES_ON_PAGE = 200;

export interface SiteListFilter {
  distribution?: string;
  platform?: string;
  status?: SiteStatus;
  q?: string;
}

export interface SiteListView {
  rows: { site: Site; platform: string; distribution: string }[];
  total: number;
  /** Choices of the filter form (slugs and platform names; platforms of the chosen distribution only). */
  distributions: string[];
  platforms: string[];
}
/** How many recent tasks are scanned for unresolved failures, and how many failures are shown. */
const FAILURE_SCAN = 200;
const FAILURES_SHOWN = 20;
const ROLLOUTS_SHOWN = 5;
const ROLLOUTS_SCANNED = 20;

export interface ViewServiceDeps {
  repos: Repositories;
  distributions: DistributionService;
  platforms: PlatformService;
  sites: SiteService;
  tasks: TaskService;
  upgrades: UpgradeService;
  compare: CompareService;
}

export class ViewService {
  constructor(private readonly deps: ViewServiceDeps) {}

  private get repos(): Repositories {
    return this.deps.repos;
  }

  async dashboard(): Promise<DashboardView> {
    const overviews = await this.deps.distributions.list();
    const distributions = await Promise.all(overviews.map((o) => this.card(o.distribution.slug)));
    const [active, finished, failedTasks, failedBuilds, rollouts] = await Promise.all([
      this.deps.tasks.running(20),
      this.repos.tasks.list({ state: [...FINAL_TASK_STATES] }, { limit: 10, offset: 0 }),
      this.unresolvedFailures(),
      this.failedBuilds(distributions.map((d) => d.distribution)),
      this.rollouts(),
    ]);
    const insecure = distributions.flatMap((d) =>
      d.platforms
        .filter((p) => p.siteCount > 0 && (d.security.get(p.platform.id)?.insecurePackages.length ?? 0) > 0)
        .map((p) => {
          const s = d.security.get(p.platform.id)!;
          return { distribution: d.distribution, platform: p.platform, sites: p.siteCount, fixes: s.fixesWaiting, packages: s.insecurePackages };
        }),
    );
    const recent = finished.items;
    return {
      attention: {
        failedTasks,
        failedBuilds,
        failedPolls: distributions.map((d) => d.distribution).filter((d) => d.lastPoll?.error),
        insecure,
      },
      distributions,
      security: sumSecurity(distributions.map((d) => d.securityCounts)),
      rollouts,
      active,
      recent,
      platformNames: await this.platformNames([...active, ...recent, ...failedTasks].flatMap((t) => [t.fromPlatformId, t.toPlatformId])),
    };
  }

  async distribution(slug: string): Promise<DistributionView> {
    const detail = await this.card(slug);
    const [report] = await this.deps.distributions.status(detail.distribution.id);
    const platformIds = new Set(detail.platforms.map((p) => p.platform.id));
    const failedTasks = (await this.unresolvedFailures()).filter((t) => platformIds.has(t.fromPlatformId ?? '') || platformIds.has(t.toPlatformId ?? ''));
    return { detail, outdated: report?.groups ?? [], rollouts: await this.rollouts(detail.distribution.id), failedTasks };
  }

  async platform(name: string): Promise<PlatformView> {
    const platform = await this.deps.platforms.get(name);
    const { distribution, target } = await this.distributionOf(platform);
    const sites = await this.deps.sites.list({ platformIds: [platform.id] }, { limit: SITES_ON_PAGE, offset: 0 });
    const security = await this.deps.compare.platformSecurity(platform, target);
    return { platform, distribution, target, sites: sites.items, siteTotal: sites.total, security };
  }

  async site(name: string): Promise<SiteView> {
    const site = await this.deps.sites.get(name);
    const platform = await this.deps.platforms.get(site.platformId);
    const { distribution, target } = await this.distributionOf(platform);
    const tasks = await this.deps.tasks.recent(site.id, 20);
    const platformNames = await this.platformNames([...site.history.map((h) => h.platformId), ...tasks.flatMap((t) => [t.fromPlatformId, t.toPlatformId])]);
    const refusal = distribution ? upgradeRefusal(site, platform, distribution) : 'Its distribution no longer exists.';
    const security = await this.deps.compare.platformSecurity(platform, target);
    const failure = tasks[0]?.state === 'failed' ? tasks[0] : null;
    return { site, platform, distribution, target, refusal, tasks, platformNames, security, failure };
  }

  async task(key: string): Promise<TaskView> {
    const task = await this.deps.tasks.get(key);
    return { task, platformNames: await this.platformNames([task.fromPlatformId, task.toPlatformId]) };
  }

  async upgrade(planId: string): Promise<UpgradeView> {
    const view = await this.deps.upgrades.view(planId);
    return { ...view, progress: planProgress(view.plan, view.tasks) };
  }

  async compare(fromKey: string, toKey: string, siteKey: string | undefined, options: CompareOptions): Promise<CompareView> {
    const [from, to] = await Promise.all([this.deps.platforms.get(fromKey), this.deps.platforms.get(toKey)]);
    const site = siteKey ? await this.deps.sites.get(siteKey) : null;
    const [result, fromDist, toDist] = await Promise.all([
      this.deps.compare.compare(from, to, { ...options, ...(site ? { siteModules: site.modules } : {}) }),
      this.repos.distributions.get(from.distributionId),
      this.repos.distributions.get(to.distributionId),
    ]);
    return { from, to, result, distributions: { from: fromDist, to: toDist }, site: site?.name ?? null };
  }

  /**
   * The `/sites` list: one page of sites with their platform and distribution, filtered by distribution, platform,
   * status and name; plus the distributions and platforms to choose from in the filter form.
   */
  async siteList(filter: SiteListFilter, page: PageRequest): Promise<SiteListView> {
    const distributions = (await this.repos.distributions.list(ALL_ITEMS)).items;
    const distribution = filter.distribution ? distributions.find((d) => d.slug === filter.distribution) : undefined;
    if (filter.distribution && !distribution) throw new NotFoundError('distribution', filter.distribution);
    const platforms = (await this.repos.platforms.list(distribution ? { distributionId: distribution.id } : {}, ALL_ITEMS)).items;
    const platform = filter.platform ? platforms.find((p) => p.name === filter.platform) : undefined;
    if (filter.platform && !platform) throw new NotFoundError('platform', filter.platform);
    const platformIds = platform ? [platform.id] : distribution ? platforms.map((p) => p.id) : undefined;
    const result =
      platformIds && !platformIds.length
        ? { items: [], total: 0 }
        : await this.deps.sites.list({ ...(platformIds ? { platformIds } : {}), ...(filter.status ? { status: [filter.status] } : {}), ...(filter.q ? { nameContains: filter.q } : {}) }, page);
    const byId = new Map(platforms.map((p) => [p.id, p]));
    const missing = result.items.map((s) => s.platformId).filter((id) => !byId.has(id));
    for (const p of await this.repos.platforms.getMany([...new Set(missing)])) byId.set(p.id, p);
    const slugs = new Map(distributions.map((d) => [d.id, d.slug]));
    return {
      rows: result.items.map((site) => {
        const p = byId.get(site.platformId);
        return { site, platform: p?.name ?? '', distribution: p ? (slugs.get(p.distributionId) ?? '') : '' };
      }),
      total: result.total,
      distributions: distributions.map((d) => d.slug),
      platforms: platforms.map((p) => p.name),
    };
  }

  /** Sites for the CSV export, all of them, with their platform's name. */
  async allSites(): Promise<{ site: Site; platform: string }[]> {
    const sites = await this.deps.sites.list({}, ALL_ITEMS);
    const names = await this.platformNames(sites.items.map((s) => s.platformId));
    return sites.items.map((site) => ({ site, platform: names.get(site.platformId) ?? '' }));
  }

  /** Tasks for the CSV export, newest first (at most ALL_ITEMS.limit), with platform names. */
  async allTasks(): Promise<{ tasks: Task[]; platformNames: Map<string, string> }> {
    const { items } = await this.repos.tasks.list({}, ALL_ITEMS);
    return { tasks: items, platformNames: await this.platformNames(items.flatMap((t) => [t.fromPlatformId, t.toPlatformId])) };
  }

  private async card(slug: string): Promise<DistributionCard> {
    const detail = await this.deps.distributions.show(slug);
    const security = new Map<string, PlatformSecurity>();
    const counts: SecurityCounts = { fixWaiting: 0, insecure: 0, clean: 0 };
    for (const { platform, siteCount } of detail.platforms) {
      if (platform.status === 'failed' || platform.status === 'queued' || platform.status === 'building') continue;
      const s = await this.deps.compare.platformSecurity(platform, detail.target);
      security.set(platform.id, s);
      if (!s.insecurePackages.length) counts.clean += siteCount;
      else if (s.fixesWaiting.length) counts.fixWaiting += siteCount;
      else counts.insecure += siteCount;
    }
    return { ...detail, security, securityCounts: counts };
  }

  private async distributionOf(platform: Platform): Promise<{ distribution: Distribution | null; target: Platform | null }> {
    const distribution = await this.repos.distributions.get(platform.distributionId);
    const target = distribution?.targetPlatformId ? await this.repos.platforms.get(distribution.targetPlatformId) : null;
    return { distribution, target };
  }

  private async platformNames(ids: (string | null)[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
    return new Map((await this.repos.platforms.getMany(wanted)).map((p) => [p.id, p.name]));
  }

  /** Failed tasks that nothing has superseded: the newest task of that type for that subject failed. */
  private async unresolvedFailures(): Promise<Task[]> {
    const { items } = await this.repos.tasks.list({}, { limit: FAILURE_SCAN, offset: 0 });
    const newest = new Map<string, Task>();
    for (const t of items) {
      const key = `${t.type}:${t.subject.kind}:${t.subject.id}`;
      if (!newest.has(key)) newest.set(key, t);
    }
    return [...newest.values()].filter((t) => t.state === 'failed').slice(0, FAILURES_SHOWN);
  }

  /** Failed builds newer than their distribution's target (older ones were superseded by a working build). */
  private async failedBuilds(distributions: Distribution[]): Promise<FailedBuild[]> {
    const { items } = await this.repos.platforms.list({ status: ['failed'] }, ALL_ITEMS);
    const byId = new Map(distributions.map((d) => [d.id, d]));
    const targets = new Map((await this.repos.platforms.getMany(distributions.flatMap((d) => (d.targetPlatformId ? [d.targetPlatformId] : [])))).map((p) => [p.id, p]));
    return items
      .filter((p) => {
        const target = targets.get(byId.get(p.distributionId)?.targetPlatformId ?? '');
        return !target || p.createdAt >= target.createdAt;
      })
      .reverse()
      .slice(0, FAILURES_SHOWN)
      .map((platform) => ({ platform, distribution: byId.get(platform.distributionId) ?? null, error: buildFailure(platform) }));
  }

  /** Confirmed upgrades among the newest that still have work (or failures) to show, newest first. */
  private async rollouts(distributionId?: string): Promise<Rollout[]> {
    const { items } = await this.repos.plans.list({ state: ['confirmed'], ...(distributionId ? { distributionId } : {}) }, { limit: ROLLOUTS_SCANNED, offset: 0 });
    const all = await Promise.all(
      items.map(async (plan) => {
        const tasks = await this.repos.tasks.getMany(plan.taskIds);
        const [distribution, target] = await Promise.all([this.repos.distributions.get(plan.distributionId), this.repos.platforms.get(plan.targetPlatformId)]);
        return { plan, distribution, target, progress: planProgress(plan, tasks) };
      }),
    );
    // In progress while something runs or waits; a finished upgrade (failures included: they are under Needs
    // attention) leaves the list.
    return all.filter((r) => r.progress.running + r.progress.waiting > 0).slice(0, ROLLOUTS_SHOWN);
  }
}

const sumSecurity = (all: SecurityCounts[]): SecurityCounts =>
  all.reduce((a, b) => ({ fixWaiting: a.fixWaiting + b.fixWaiting, insecure: a.insecure + b.insecure, clean: a.clean + b.clean }), { fixWaiting: 0, insecure: 0, clean: 0 });

