import { describeActor, type Actor } from '../domain/actor.js';
import type { AuditSubject } from '../domain/audit.js';
import type { Hold } from '../domain/hold.js';
import type { CompareResult } from '../domain/compare/types.js';
import type { Distribution } from '../domain/distribution.js';
import { ConflictError, RuleViolationError, StaleError } from '../domain/errors.js';
import { ALL_ITEMS, type Clock, type EventPublisher, type JobQueue, type Page, type PageRequest, type Repositories } from '../domain/ports.js';
import { previewRollout } from '../domain/rollout-policy.js';
import type { Platform } from '../domain/platform.js';
import { upgradeRefusal } from '../domain/rules.js';
import type { Site } from '../domain/site.js';
import { isActive, type Task } from '../domain/task.js';
import type { PlanScope, PlanSkip, PlanState, PlannedMove, UpgradePlan } from '../domain/upgrade-plan.js';
import type { Rollout } from '../domain/rollout.js';
import { siteExposure } from '../domain/exposure.js';
import type { RolloutSecurity } from '../domain/security-policy.js';
import { isNewerBuild } from './build-service.js';
import type { AuditLog } from './audit-log.js';
import type { CompareService } from './compare-service.js';
import type { RolloutService } from './rollout-service.js';
import type { HoldService } from './hold-service.js';
import { mustGet, resolveDistribution, resolvePlatform, resolveSite } from './lookup.js';

/** One source platform of a plan: its sites and what moving them to the target changes. */
export interface PlanGroup {
  from: Platform;
  sites: Site[];
  compare: CompareResult;
}

/** Whether moving the group fixes an advisory that exposes at least one of its sites (narrowed by enabled modules). */
const fixesExposure = (g: PlanGroup): boolean => {
  const fixed = g.compare.packages.filter((p) => p.security?.fixed && p.security.currentInsecure && p.from !== null).map((p) => ({ name: p.name, version: p.from!, ...(p.type ? { type: p.type } : {}) }));
  return fixed.length > 0 && g.sites.some((s) => siteExposure(fixed, s.modules).length > 0);
};

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
  /** The rollout Confirm made (null before Confirm). */
  rollout: Rollout | null;
  /** Sites of the plan's scope left out because they (or their distribution) are pinned, with the pin. */
  held: HeldSite[];
  /**
   * Before Confirm: the waves and next window Confirm would use now ("canary: alumni; then 3 batches of 4; next
   * window Tue 01:00 Europe/Amsterdam, in 7 h"); null once confirmed (the rollout says it then) or with nothing to move.
   */
  preview: string | null;
}

export interface HeldSite {
  site: Site;
  hold: Hold;
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
      rollouts: RolloutService;
      audit: AuditLog;
      holds: HoldService;
      /** Time for the preview's next window (tests inject one). */
      clock?: Clock;
    },
  ) {}

  private get repos(): Repositories {
    return this.deps.repos;
  }

  /** Builds and records an upgrade proposal for a site, every site of a platform, or a whole distribution. */
  async propose(scope: PlanScope, actor: Actor): Promise<PlanView> {
    const { distribution, sites: all } = await this.select(scope);
    const pinned = await this.deps.holds.get('distribution', distribution.id);
    if (pinned) throw new RuleViolationError(`Distribution \`${distribution.slug}\` is pinned by ${describeActor(pinned.by)}: ${pinned.reason}. \`unpin ${distribution.slug}\` first.`);
    const holds = await this.deps.holds.map('site', all.map((s) => s.id));
    if (scope.kind === 'site' && all[0] && holds.get(all[0].id)) {
      const hold = holds.get(all[0].id)!;
      throw new RuleViolationError(`\`${all[0].name}\` is pinned by ${describeActor(hold.by)}: ${hold.reason}. \`unpin ${all[0].name}\` first.`);
    }
    // Pinned sites stay where they are; the summary lists them as held, with the reason.
    const sites = all.filter((s) => !holds.has(s.id));
    if (!distribution.targetPlatformId) {
      throw new RuleViolationError(`Distribution \`${distribution.slug}\` has no upgrade target yet.`, { next: { action: 'set-target', distribution: distribution.slug } });
    }
    if (!sites.length) {
      const held = holds.size ? ` (${holds.size} pinned)` : '';
      throw new RuleViolationError(`Nothing to upgrade: ${describeScope(scope)} has no enabled site off the target${held}.`);
    }
    return this.view((await this.createPlan(distribution, distribution.targetPlatformId, scope, sites, actor)).id);
  }

  /**
   * A plan of exactly these sites of a distribution (the automatic security upgrade: the sites an advisory exposes
   * that the target fixes), recorded under the distribution's scope. The caller has left pinned sites out.
   */
  async proposeSites(distribution: Distribution, targetId: string, sites: Site[], actor: Actor): Promise<UpgradePlan> {
    if (!sites.length) throw new RuleViolationError(`Nothing to upgrade in \`${distribution.slug}\`.`);
    return this.createPlan(distribution, targetId, { kind: 'distribution', slug: distribution.slug }, sites, actor);
  }

  private async createPlan(distribution: Distribution, targetId: string, scope: PlanScope, sites: Site[], actor: Actor): Promise<UpgradePlan> {
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
    return plan;
  }

  /** Plans, newest first (GET /api/upgrades); `distribution` is a slug or id. */
  async list(filter: { distribution?: string; state?: PlanState[] }, page: PageRequest): Promise<Page<UpgradePlan>> {
    const distributionId = filter.distribution ? (await resolveDistribution(this.repos, filter.distribution)).id : undefined;
    return this.repos.plans.list({ ...(distributionId ? { distributionId } : {}), ...(filter.state ? { state: filter.state } : {}) }, page);
  }

  /** The plan with fresh compare groups and current task states. */
  async view(planId: string): Promise<PlanView> {
    const plan = await mustGet('upgrade', planId, (id) => this.repos.plans.get(id));
    const distribution = await mustGet('distribution', plan.distributionId, (id) => this.repos.distributions.get(id));
    const target = await mustGet('platform', plan.targetPlatformId, (id) => this.repos.platforms.get(id));
    const [groups, tasks, rollout, heldSites] = await Promise.all([
      this.groups(plan.moves, target.id),
      this.repos.tasks.getMany(plan.taskIds),
      plan.state === 'confirmed' ? this.repos.rollouts.getByPlan(plan.id) : null,
      this.held(plan),
    ]);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const sites = new Map(groups.flatMap((g) => g.sites.map((s) => [s.id, s] as const)));
    const movable = plan.moves.filter((m) => stillMovable(m, sites.get(m.siteId)));
    const held = new Set(heldSites.map((h) => h.site.id));
    // The same split Confirm makes (pinned sites left out); a Compare with security fixes makes a security rollout.
    const security = groups.some((g) => g.compare.counts.securityFixes > 0) && Boolean(distribution.policy.security?.skipWindows);
    const preview =
      plan.state === 'pending' && movable.length
        ? previewRollout(distribution.policy.rollout, movable.filter((m) => !held.has(m.siteId)), this.deps.clock?.now() ?? new Date(), { skipWindows: security }).text
        : null;
    return {
      plan,
      distribution,
      target,
      groups,
      tasks: plan.taskIds.map((id) => byId.get(id)).filter((t): t is Task => Boolean(t)),
      stale: plan.state === 'stale' || distribution.targetPlatformId !== plan.targetPlatformId,
      movable: movable.length,
      rollout,
      held: heldSites,
      preview,
    };
  }

  /**
   * Confirms a plan: one atomic pending→confirmed transition, so a double click, a Slack retry or two
   * users at once schedule exactly once. Refused when the target changed since the summary was made.
   */
  async confirm(planId: string, actor: Actor, automatic?: { advisoryEventId: string }): Promise<ConfirmOutcome> {
    const plan = await mustGet('upgrade', planId, (id) => this.repos.plans.get(id));
    if (plan.state === 'confirmed') return { view: await this.view(plan.id), scheduled: false, skipped: [] };
    if (plan.state === 'cancelled') throw new ConflictError('This upgrade was cancelled.', { next: { action: 'propose-upgrade' } });
    if (plan.blocked) throw new RuleViolationError('This upgrade has errors (see the summary) and cannot be confirmed.');
    const distribution = await mustGet('distribution', plan.distributionId, (id) => this.repos.distributions.get(id));
    const pinned = await this.deps.holds.get('distribution', distribution.id);
    if (pinned) throw new RuleViolationError(`Distribution \`${distribution.slug}\` was pinned by ${describeActor(pinned.by)} (${pinned.reason}); nothing was scheduled.`);
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
    // A security rollout: started from an advisory event, or (a person's Confirm) one whose Compare fixes an
    // advisory that exposes its sites (a fixed module the sites do not enable does not count); the Compare results
    // are cached per platform pair, the summary having just rendered them.
    const security: RolloutSecurity | null = automatic
      ? { advisoryEventId: automatic.advisoryEventId, automatic: true }
      : (await this.groups(plan.moves, plan.targetPlatformId)).some((g) => fixesExposure(g))
        ? { advisoryEventId: null, automatic: false }
        : null;
    // The confirmation, its tasks and their jobs commit together (embedded store): a crash never leaves a
    // confirmed plan without its migrations, and a second Confirm sees all of it or none.
    const won = await this.repos.transaction(async () => {
      const confirmed = await this.repos.plans.transition(plan.id, ['pending'], 'confirmed', { confirmedBy: actor });
      if (!confirmed) return null;
      // Confirm makes the rollout (pinned sites left out), which starts its first wave now if a window is open.
      const made = await this.deps.rollouts.createForPlan(confirmed, actor, security);
      const scheduled = made.rollout.waves.reduce((n, w) => n + w.sites.length, 0);
      await this.deps.audit.record({
        actor,
        action: 'upgrade.confirm',
        subject: planSubject(plan),
        details: {
          distribution: distribution.slug,
          rollout: made.rollout.number,
          scheduled,
          skipped: made.skipped.length,
          ...(security ? { security: true } : {}),
          ...(automatic ? { automatic: true, advisoryEvent: automatic.advisoryEventId } : {}),
        },
      });
      return made;
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

  async cancel(planId: string, actor: Actor): Promise<UpgradePlan> {
    const plan = await mustGet('upgrade', planId, (id) => this.repos.plans.get(id));
    if (plan.state === 'cancelled') return plan;
    const done = await this.deps.audit.change(
      () => this.repos.plans.transition(plan.id, ['pending', 'stale'], 'cancelled', { confirmedBy: actor }),
      (p) => (p ? { actor, action: 'upgrade.cancel', subject: planSubject(p), details: {} } : null),
    );
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
    if (target.id !== distribution.targetPlatformId) await this.deps.holds.assertCanBeTarget(target);
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

  /** Pinned sites the plan's scope would otherwise include (enabled, off the plan's target). */
  private async held(plan: UpgradePlan): Promise<HeldSite[]> {
    const holds = await this.deps.holds.map('site');
    if (!holds.size) return [];
    const sites = await this.repos.sites.getMany([...holds.keys()]);
    const platforms = new Map((await this.repos.platforms.getMany(sites.map((s) => s.platformId))).map((p) => [p.id, p]));
    const scope = plan.scope;
    const inScope = (s: Site): boolean => {
      const p = platforms.get(s.platformId);
      if (!p || s.status !== 'enabled' || p.id === plan.targetPlatformId || p.distributionId !== plan.distributionId) return false;
      if (scope.kind === 'site') return s.name === scope.name;
      if (scope.kind === 'platform') return p.name === scope.name;
      return true;
    };
    return sites.filter(inScope).map((site) => ({ site, hold: holds.get(site.id)! }));
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

const planSubject = (plan: UpgradePlan): AuditSubject => ({ kind: 'upgrade', id: plan.id, name: describeScope(plan.scope).replace(/`/g, '') });

const describeScope = (scope: PlanScope): string =>
  scope.kind === 'site' ? `site \`${scope.name}\`` : scope.kind === 'platform' ? `platform \`${scope.name}\`` : `distribution \`${scope.slug}\``;
