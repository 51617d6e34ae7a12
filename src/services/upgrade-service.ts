import type { Actor } from '../domain/actor.js';
import type { CompareResult } from '../domain/compare/types.js';
import type { Distribution } from '../domain/distribution.js';
import { ConflictError, RuleViolationError, StaleError } from '../domain/errors.js';
import { ALL_ITEMS, type EventPublisher, type JobQueue, type Repositories } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import { upgradeRefusal } from '../domain/rules.js';
import type { Site } from '../domain/site.js';
import { isActive, type Task } from '../domain/task.js';
import { MIGRATE_JOB, migrateJobKey, type MigrateJobData } from '../domain/jobs.js';
import type { PlanScope, PlanSkip, PlannedMove, UpgradePlan } from '../domain/upgrade-plan.js';
import { isNewerBuild } from './build-service.js';
import type { CompareService } from './compare-service.js';
import { mustGet, resolveDistribution, resolvePlatform, resolveSite } from './lookup.js';

/** One source platform of a plan: its sites and what moving them to the target changes. */
export interface PlanGroup {
  from: Platform;
  sites: Site[];
  compare: CompareResult;
}

/** Everything needed to render an upgrade summary (and re-render it as tasks progress). */
export interface PlanView {
  plan: UpgradePlan;
  distribution: Distribution;
  target: Platform;
  groups: PlanGroup[];
  tasks: Task[];
  /** Set when the distribution's target moved on since the plan was made. */
  stale: boolean;
  /** Moves whose site is still on the platform it was planned from (what Confirm would schedule now). */
  movable: number;
}

export interface ConfirmOutcome {
  view: PlanView;
  /** True when this call did the scheduling; false for a repeated click / retry. */
  scheduled: boolean;
  /** Sites left out at confirm time, with the reason (already migrating, moved meanwhile). */
  skipped: PlanSkip[];
}

/** See UpgradeService.targetImpact. */
export interface TargetImpact {
  distribution: Distribution;
  target: Platform;
  current: Platform | null;
  /** The platform is not newer than the current target (by version tag, else by age). */
  older: boolean;
  /** Packages that go back a version from the current target. */
  downgrades: number;
  /** Platforms with enabled sites that could not be upgraded to it (compare errors). */
  blocked: Array<{ platform: Platform; sites: number; errors: number }>;
}

/** True when the change deserves an explicit confirmation. */
export const needsTargetConfirmation = (i: TargetImpact): boolean => i.older || i.downgrades > 0 || i.blocked.length > 0;

export class UpgradeService {
  constructor(
    private readonly deps: {
      repos: Repositories;
      jobs: JobQueue;
      events: EventPublisher;
      compare: CompareService;
    },
  ) {}

  private get repos(): Repositories {
    return this.deps.repos;
  }

  /** Builds and records an upgrade proposal for a site, every site of a platform, or a whole distribution. */
  async propose(scope: PlanScope, actor: Actor): Promise<PlanView> {
    const { distribution, sites } = await this.select(scope);
    const targetId = distribution.targetPlatformId;
    if (!targetId) throw new RuleViolationError(`Distribution \`${distribution.slug}\` has no upgrade target yet.`, { next: { action: 'set-target', distribution: distribution.slug } });
    if (!sites.length) throw new RuleViolationError(`Nothing to upgrade: ${describeScope(scope)} has no enabled site off the target.`);
    const moves: PlannedMove[] = sites.map((s) => ({ siteId: s.id, siteName: s.name, fromPlatformId: s.platformId }));
    const groups = await this.groups(moves, targetId);
    const plan = await this.repos.plans.create({
      distributionId: distribution.id,
      targetPlatformId: targetId,
      scope,
      moves,
      blocked: groups.some((g) => g.compare.counts.errors > 0),
      requestedBy: actor,
    });
    return this.view(plan.id);
  }

  /** The plan with fresh compare groups and current task states. */
  async view(planId: string): Promise<PlanView> {
    const plan = await mustGet('upgrade', planId, (id) => this.repos.plans.get(id));
    const distribution = await mustGet('distribution', plan.distributionId, (id) => this.repos.distributions.get(id));
    const target = await mustGet('platform', plan.targetPlatformId, (id) => this.repos.platforms.get(id));
    const [groups, tasks] = await Promise.all([this.groups(plan.moves, target.id), this.repos.tasks.getMany(plan.taskIds)]);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const sites = new Map(groups.flatMap((g) => g.sites.map((s) => [s.id, s] as const)));
    return {
      plan,
      distribution,
      target,
      groups,
      tasks: plan.taskIds.map((id) => byId.get(id)).filter((t): t is Task => Boolean(t)),
      stale: plan.state === 'stale' || distribution.targetPlatformId !== plan.targetPlatformId,
      movable: plan.moves.filter((m) => stillMovable(m, sites.get(m.siteId))).length,
    };
  }

  /**
   * Confirms a plan: one atomic pending→confirmed transition, so a double click, a Slack retry or two
   * users at once schedule exactly once. Refused when the target changed since the summary was made.
   */
  async confirm(planId: string, actor: Actor): Promise<ConfirmOutcome> {
    const plan = await mustGet('upgrade', planId, (id) => this.repos.plans.get(id));
    if (plan.state === 'confirmed') return { view: await this.view(plan.id), scheduled: false, skipped: [] };
    if (plan.state === 'cancelled') throw new ConflictError('This upgrade was cancelled.', { next: { action: 'propose-upgrade' } });
    if (plan.blocked) throw new RuleViolationError('This upgrade has errors (see the summary) and cannot be confirmed.');
    const distribution = await mustGet('distribution', plan.distributionId, (id) => this.repos.distributions.get(id));
    if (plan.state === 'stale' || distribution.targetPlatformId !== plan.targetPlatformId) {
      await this.repos.plans.transition(plan.id, ['pending'], 'stale');
      await this.deps.events.publish({ type: 'plan.updated', planId: plan.id });
      throw new StaleError('The upgrade target changed since this summary was posted; review the fresh summary instead.');
    }
    const current = new Map((await this.repos.sites.getMany(plan.moves.map((m) => m.siteId))).map((s) => [s.id, s]));
    if (!plan.moves.some((m) => stillMovable(m, current.get(m.siteId)))) {
      // Confirming would schedule nothing; say so instead of showing "Confirmed" over zero migrations.
      await this.deps.events.publish({ type: 'plan.updated', planId: plan.id });
      throw new ConflictError('Nothing left to move: every site of this summary is already on the target or moved elsewhere. Nothing was scheduled.');
    }
    // The confirmation, its tasks and their jobs commit together (embedded store): a crash never leaves a
    // confirmed plan without its migrations, and a second Confirm sees all of it or none.
    const won = await this.repos.transaction(async () => {
      const confirmed = await this.repos.plans.transition(plan.id, ['pending'], 'confirmed', { confirmedBy: actor });
      return confirmed ? this.schedule(plan, actor) : null;
    });
    if (!won) {
      const now = await mustGet('upgrade', plan.id, (id) => this.repos.plans.get(id));
      if (now.state === 'confirmed') return { view: await this.view(plan.id), scheduled: false, skipped: [] };
      throw new ConflictError(`This upgrade is ${now.state}.`);
    }
    const { skipped } = won;
    await this.deps.events.publish({ type: 'plan.updated', planId: plan.id });
    return { view: await this.view(plan.id), scheduled: true, skipped };
  }

  /** Creates the migrate tasks of a just-confirmed plan and enqueues their jobs; sites that moved are skipped. */
  private async schedule(plan: UpgradePlan, actor: Actor): Promise<{ skipped: PlanSkip[] }> {
    const skipped: PlanSkip[] = [];
    const taskIds: string[] = [];
    for (const move of plan.moves) {
      const site = await this.repos.sites.get(move.siteId);
      if (!site || site.platformId !== move.fromPlatformId) {
        skipped.push({ site: move.siteName, reason: site ? 'moved to another platform since the summary' : 'deleted' });
        continue;
      }
      try {
        const task = await this.repos.tasks.create({
          type: 'migrate',
          subject: { kind: 'site', id: site.id, name: site.name },
          fromPlatformId: move.fromPlatformId,
          toPlatformId: plan.targetPlatformId,
          planId: plan.id,
          requestedBy: plan.requestedBy,
          confirmedBy: actor,
        });
        taskIds.push(task.id);
        await this.deps.jobs.enqueue<MigrateJobData>(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: migrateJobKey(task.id) });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        skipped.push({ site: move.siteName, reason: 'a migration is already queued or running' });
      }
    }
    await this.repos.plans.setTaskIds(plan.id, taskIds, skipped);
    return { skipped };
  }

  async cancel(planId: string, actor: Actor): Promise<UpgradePlan> {
    const plan = await mustGet('upgrade', planId, (id) => this.repos.plans.get(id));
    if (plan.state === 'cancelled') return plan;
    const done = await this.repos.plans.transition(plan.id, ['pending', 'stale'], 'cancelled', { confirmedBy: actor });
    if (!done) throw new ConflictError('This upgrade is already confirmed; single migrations can still be cancelled.', { next: { action: 'cancel-task' } });
    await this.deps.events.publish({ type: 'plan.updated', planId: plan.id });
    return done;
  }

  /**
   * What making `platformKey` the target would do, for the changes that need a second look: going back to an
   * older build (or one that downgrades packages), and platforms whose sites could not move to it (errors).
   */
  async targetImpact(distributionKey: string, platformKey: string): Promise<TargetImpact> {
    const distribution = await resolveDistribution(this.repos, distributionKey);
    const target = await resolvePlatform(this.repos, platformKey);
    const current = distribution.targetPlatformId ? await this.repos.platforms.get(distribution.targetPlatformId) : null;
    const impact: TargetImpact = { distribution, target, current, older: false, downgrades: 0, blocked: [] };
    if (target.distributionId !== distribution.id || current?.id === target.id) return impact;
    if (current) {
      impact.older = !isNewerBuild(target, current);
      impact.downgrades = (await this.deps.compare.compare(current, target)).counts.downgrade;
    }
    const { items: platforms } = await this.repos.platforms.list({ distributionId: distribution.id, status: ['ready', 'locked'] }, ALL_ITEMS);
    for (const from of platforms) {
      if (from.id === target.id) continue;
      const { items: sites } = await this.repos.sites.list({ platformIds: [from.id], status: ['enabled'] }, ALL_ITEMS);
      if (!sites.length) continue;
      const compare = await this.deps.compare.compare(from, target, { siteModules: sites.flatMap((x) => x.modules) });
      if (compare.counts.errors > 0) impact.blocked.push({ platform: from, sites: sites.length, errors: compare.counts.errors });
    }
    return impact;
  }

  /** Where the plan's summary was posted, if it was. */
  async messageOf(planId: string): Promise<{ channel: string; ts: string } | null> {
    return (await this.repos.plans.get(planId))?.message ?? null;
  }

  /** Pending plans of a distribution that were posted: when the target moves, their summaries must lose Confirm. */
  async postedPending(distributionId: string): Promise<UpgradePlan[]> {
    const { items } = await this.repos.plans.list({ distributionId, state: ['pending'] }, ALL_ITEMS);
    return items.filter((p) => p.message);
  }

  /**
   * Posted, confirmed plans (newest `limit`) whose summary may be behind the store: Confirm had not gone
   * through every move, a task is still queued/processing, or one finished less than `withinMs` ago.
   */
  async postedInProgress(now: Date, withinMs: number, limit: number): Promise<UpgradePlan[]> {
    const { items } = await this.repos.plans.list({ state: ['confirmed'] }, { limit, offset: 0 });
    const out: UpgradePlan[] = [];
    for (const plan of items) {
      if (!plan.message) continue;
      const tasks = await this.repos.tasks.getMany(plan.taskIds);
      const recent = (t: Task) => t.finishedAt !== null && now.getTime() - t.finishedAt.getTime() < withinMs;
      if (plan.skipped === null || tasks.some((t) => isActive(t.state) || recent(t))) out.push(plan);
    }
    return out;
  }

  /** Records where the summary was posted (Slack channel + ts), so progress updates edit that message. */
  async setMessage(planId: string, message: { channel: string; ts: string }): Promise<void> {
    await this.repos.plans.setMessage(planId, message);
  }

  private async select(scope: PlanScope): Promise<{ distribution: Distribution; sites: Site[] }> {
    if (scope.kind === 'site') {
      const site = await resolveSite(this.repos, scope.name);
      const platform = await mustGet('platform', site.platformId, (id) => this.repos.platforms.get(id));
      const distribution = await mustGet('distribution', platform.distributionId, (id) => this.repos.distributions.get(id));
      const refusal = upgradeRefusal(site, platform, distribution);
      if (refusal) throw new RuleViolationError(refusal);
      return { distribution, sites: [site] };
    }
    if (scope.kind === 'platform') {
      const platform = await resolvePlatform(this.repos, scope.name);
      const distribution = await mustGet('distribution', platform.distributionId, (id) => this.repos.distributions.get(id));
      if (distribution.targetPlatformId === platform.id) {
        throw new RuleViolationError(`\`${platform.name}\` is the upgrade target of \`${distribution.slug}\`; its sites are up to date.`);
      }
      const { items } = await this.repos.sites.list({ platformIds: [platform.id], status: ['enabled'] }, ALL_ITEMS);
      return { distribution, sites: items };
    }
    const distribution = await resolveDistribution(this.repos, scope.slug);
    const { items: platforms } = await this.repos.platforms.list({ distributionId: distribution.id }, ALL_ITEMS);
    const outdated = platforms.filter((p) => p.id !== distribution.targetPlatformId).map((p) => p.id);
    const sites = outdated.length ? (await this.repos.sites.list({ platformIds: outdated, status: ['enabled'] }, ALL_ITEMS)).items : [];
    return { distribution, sites };
  }

  private async groups(moves: PlannedMove[], targetId: string): Promise<PlanGroup[]> {
    const target = await mustGet('platform', targetId, (id) => this.repos.platforms.get(id));
    const byPlatform = new Map<string, PlannedMove[]>();
    for (const m of moves) byPlatform.set(m.fromPlatformId, [...(byPlatform.get(m.fromPlatformId) ?? []), m]);
    const [platforms, sites] = await Promise.all([
      this.repos.platforms.getMany([...byPlatform.keys()]),
      this.repos.sites.getMany(moves.map((m) => m.siteId)),
    ]);
    const siteById = new Map(sites.map((s) => [s.id, s]));
    return Promise.all(
      platforms.map(async (from) => {
        const groupSites = (byPlatform.get(from.id) ?? []).map((m) => siteById.get(m.siteId)).filter((s): s is Site => Boolean(s));
        const compare = await this.deps.compare.compare(from, target, { siteModules: groupSites.flatMap((s) => s.modules) });
        return { from, sites: groupSites, compare };
      }),
    );
  }
}

/** A planned move Confirm can still schedule: the site exists and is where the plan found it. */
const stillMovable = (move: PlannedMove, site: Site | undefined): boolean => Boolean(site && site.platformId === move.fromPlatformId);

const describeScope = (scope: PlanScope): string =>
  scope.kind === 'site' ? `site \`${scope.name}\`` : scope.kind === 'platform' ? `platform \`${scope.name}\`` : `distribution \`${scope.slug}\``;
