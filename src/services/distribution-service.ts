import type { Actor } from '../domain/actor.js';
import type { AuditDetails, AuditSubject } from '../domain/audit.js';
import type { Hold } from '../domain/hold.js';
import {
  DEFAULT_POLICY,
  SLUG_PATTERN,
  type Distribution,
  type DistributionPatch,
  type NewDistribution,
  type UpdatePolicy,
  type UpstreamSource,
} from '../domain/distribution.js';
import { ConflictError, HostingError, ValidationError } from '../domain/errors.js';
import { fieldProblems, type FieldKind } from '../domain/field-limits.js';
import { ALL_ITEMS, type EventPublisher, type HealthChecker, type Repositories } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import { assertCanBeTarget } from '../domain/rules.js';
import type { Site } from '../domain/site.js';
import { rolloutPolicyProblems, type HealthCheckPolicy } from '../domain/rollout-policy.js';
import { securityPolicyProblems } from '../domain/security-policy.js';
import { advisoryDigestProblems } from '../domain/advisory-digest.js';
import { policyChanges } from '../domain/policy-changes.js';
import { releaseAgeProblems } from '../domain/release-age.js';
import { upstreamSourceProblems } from '../domain/upstream-source-problems.js';
import type { UpstreamUrlPolicy } from '../domain/upstream-url.js';
import { redactUrl } from '../lib/redact.js';
import { plural } from '../lib/plural.js';
import { SYSTEM_ACTOR, type AuditLog } from './audit-log.js';
import type { HoldService } from './hold-service.js';
import { mustGet, resolveDistribution, resolvePlatform, resolveSite } from './lookup.js';

export interface PlatformOverview {
  platform: Platform;
  siteCount: number;
  isTarget: boolean;
  /** Locked by hand (reason, who, when); distinct from the automatic lock of a platform that is not the target. */
  lock: Hold | null;
}

export interface DistributionOverview {
  distribution: Distribution;
  target: Platform | null;
  platformCount: number;
  siteCount: number;
  /** Enabled sites on a non-target platform while a target exists. */
  outdatedSiteCount: number;
  /** Pinned by hand: held out of upgrades. */
  pin: Hold | null;
}

export interface DistributionDetail extends DistributionOverview {
  platforms: PlatformOverview[];
}

export interface OutdatedGroup {
  platform: Platform;
  sites: Site[];
}

export interface OutdatedReport {
  distribution: Distribution;
  target: Platform | null;
  groups: OutdatedGroup[];
}

export interface TargetChange {
  distribution: Distribution;
  previousTarget: Platform | null;
  target: Platform;
  locked: string[];
  unlocked: string[];
  /** False when the platform already was the target (nothing changed, nothing announced). */
  changed: boolean;
}

/** Size and character limits of every free-form field a client may write (the slug has its own pattern). */
const fieldsOf = (d: Partial<Pick<Distribution, 'title' | 'description' | 'channel' | 'upstream'>>) => {
  const fields: Array<readonly [string, unknown, FieldKind]> = [
    ['title', d.title, 'title'],
    ['description', d.description, 'text'],
    ['channel', d.channel, 'channel'],
  ];
  const u = d.upstream;
  if (u) {
    if (u.kind === 'git') fields.push(['upstream.url', u.url, 'url']);
    else fields.push(['upstream.owner', u.owner, 'name'], ['upstream.repo', u.repo, 'name']);
    fields.push(['upstream.branch', u.branch, 'ref'], ['upstream.tagPattern', u.tagPattern, 'ref'], ['upstream.manifestPath', u.manifestPath, 'ref']);
  }
  return fieldProblems(fields);
};

const policyProblems = (policy: UpdatePolicy): string[] => [
  ...(Number.isInteger(policy.pollIntervalMinutes) && policy.pollIntervalMinutes >= 0 ? [] : ['policy.pollIntervalMinutes: a whole number ≥ 0']),
  ...rolloutPolicyProblems(policy.rollout),
  ...securityPolicyProblems(policy.security),
  ...advisoryDigestProblems(policy.advisoryDigest),
  ...releaseAgeProblems(policy.minReleaseAgeHours),
];

export const distributionSubject = (d: Pick<Distribution, 'id' | 'slug'>): AuditSubject => ({ kind: 'distribution', id: d.id, name: d.slug });

export interface DistributionServiceDeps {
  repos: Repositories;
  events: EventPublisher;
  audit: AuditLog;
  holds: HoldService;
  /** Policy of distributions created without one (config POLL_DEFAULT_INTERVAL_MINUTES). */
  defaultPolicy?: UpdatePolicy;
  /** Called after a distribution's upstream or policy is set, to (re)schedule its polling. */
  onUpstreamChanged?: (distribution: Distribution) => Promise<unknown>;
  /** Called after a policy change is committed, so waiting and running rollouts take it up at once. */
  onPolicyChanged?: (distribution: Distribution, changes: AuditDetails, actor: Actor) => Promise<unknown>;
  /** Which upstream URLs are accepted (config ALLOW_LOCAL_UPSTREAMS); remote ones only by default. */
  upstreamPolicy?: UpstreamUrlPolicy;
  /** Runs a health check as typed on one site (the policy page's test); absent: the test says it is unavailable. */
  health?: HealthChecker;
}

/** The outcome of a health check tried on one site (nothing is saved or changed). */
export interface HealthCheckTrial {
  ok: boolean;
  site: string;
  message: string;
  log: string[];
}

/**
 * API output shows upstream URLs with their credentials redacted; a client sending such a URL back unchanged
 * (a read-modify-write) keeps the stored credentials rather than storing `***`.
 */
const keepCredentials = (current: UpstreamSource | null, next: UpstreamSource | null | undefined): UpstreamSource | null | undefined =>
  next?.kind === 'git' && current?.kind === 'git' && next.url !== current.url && next.url === redactUrl(current.url) ? { ...next, url: current.url } : next;

/** The same for the health-check URL, which may carry a token in its query (shown as `token=***`). */
const keepProbeCredentials = (current: UpdatePolicy, next: UpdatePolicy): UpdatePolicy => {
  const was = current.rollout?.healthCheck?.http?.url;
  const http = next.rollout?.healthCheck?.http;
  if (!was || !http || http.url === was || http.url !== redactUrl(was)) return next;
  return { ...next, rollout: { ...next.rollout!, healthCheck: { ...next.rollout!.healthCheck, http: { ...http, url: was } } } };
};

export class DistributionService {
  constructor(private readonly deps: DistributionServiceDeps) {}

  private get repos(): Repositories {
    return this.deps.repos;
  }

  async create(input: Omit<NewDistribution, 'policy'> & { policy?: Partial<UpdatePolicy> }, actor: Actor = SYSTEM_ACTOR): Promise<Distribution> {
    const problems: string[] = [];
    if (!SLUG_PATTERN.test(input.slug ?? '')) problems.push('slug: lowercase letters, digits and dashes, starting with a letter or digit');
    if (!input.title?.trim()) problems.push('title: required');
    problems.push(...this.inputProblems(input));
    const policy = { ...(this.deps.defaultPolicy ?? DEFAULT_POLICY), ...input.policy };
    problems.push(...policyProblems(policy));
    if (problems.length) throw new ValidationError('Invalid distribution.', problems);
    const created = await this.deps.audit.change(
      () => this.repos.distributions.create({ ...input, title: input.title.trim(), policy }),
      (d) => ({ actor, action: 'distribution.create', subject: distributionSubject(d), details: { title: d.title } }),
    );
    if (created.upstream) await this.deps.onUpstreamChanged?.(created);
    return created;
  }

  /** Changes title/description/channel/upstream/policy; a new upstream or policy reschedules polling. */
  async update(key: string, patch: DistributionPatch, actor: Actor = SYSTEM_ACTOR): Promise<Distribution> {
    const current = await this.get(key);
    const { policy, ...given } = patch;
    const rest = given.upstream === undefined ? given : { ...given, upstream: keepCredentials(current.upstream, given.upstream) ?? null };
    const merged = policy ? keepProbeCredentials(current.policy, { ...current.policy, ...policy }) : undefined;
    const problems = merged ? policyProblems(merged) : [];
    if (rest.title !== undefined && !rest.title.trim()) problems.push('title: required');
    problems.push(...this.inputProblems(rest));
    if (problems.length) throw new ValidationError('Invalid distribution.', problems);
    // A policy change is its own action (it decides what happens automatically); other edits list their fields.
    // A policy change records each changed value as before → after (URL credentials redacted here, operator secrets
    // by the store's redactor); a save that leaves the policy as it was is an ordinary update.
    const changes = merged ? policyChanges(current.policy, merged, redactUrl) : {};
    const policyChanged = Object.keys(changes).length > 0;
    const updated = await this.deps.audit.change(
      () => this.repos.distributions.update(current.id, { ...rest, ...(merged ? { policy: merged } : {}) }),
      (d) => ({
        actor,
        action: policyChanged ? 'policy.change' : 'distribution.update',
        subject: distributionSubject(d),
        details: { fields: Object.keys(patch).sort().join(','), ...changes },
      }),
    );
    if (patch.upstream !== undefined || policy) await this.deps.onUpstreamChanged?.(updated);
    if (policyChanged) await this.deps.onPolicyChanged?.(updated, changes, actor);
    return updated;
  }

  /**
   * Field limits first (length, control characters); the upstream's own rules (URL form, ref names) only for
   * fields within them, so each field is named once with its most basic problem.
   */
  private inputProblems(d: Partial<Pick<Distribution, 'title' | 'description' | 'channel' | 'upstream'>>): string[] {
    const limits = fieldsOf(d);
    if (!d.upstream) return limits;
    const named = new Set(limits.map((p) => p.slice(0, p.indexOf(':'))));
    const upstream = upstreamSourceProblems(d.upstream, this.deps.upstreamPolicy ?? { allowLocal: false });
    return [...limits, ...upstream.filter((p) => !named.has(p.slice(0, p.indexOf(':'))))];
  }

  get(key: string): Promise<Distribution> {
    return resolveDistribution(this.repos, key);
  }

  /**
   * Tries a health check on one site of the distribution, once (retries off: a test should answer quickly), as
   * given or else as the policy says. Validated like the policy (a 400 naming the field); the site must be on one
   * of the distribution's platforms. Changes nothing.
   */
  async testHealthCheck(key: string, siteName: string, given?: HealthCheckPolicy | null): Promise<HealthCheckTrial> {
    const distribution = await this.get(key);
    const check = given ?? distribution.policy.rollout?.healthCheck ?? null;
    const problems = check ? rolloutPolicyProblems({ healthCheck: check }) : [];
    if (!siteName.trim()) problems.push('testSite: the name of a site of this distribution');
    if (problems.length) throw new ValidationError('Invalid health check.', problems);
    if (!check || (!check.http && !check.command)) throw new ValidationError('Nothing to test.', ['policy.rollout.healthCheck: give an HTTP check URL or turn the command on']);
    const site = await resolveSite(this.repos, siteName.trim());
    const platform = await mustGet('platform', site.platformId, (id) => this.repos.platforms.get(id));
    if (platform.distributionId !== distribution.id) throw new ValidationError('Not a site of this distribution.', [`testSite: ${site.name} is not on a platform of ${distribution.slug}`]);
    if (!this.deps.health) return { ok: false, site: site.name, message: 'health checks are not available on this server.', log: [] };
    const log: string[] = [];
    const once: HealthCheckPolicy = { ...check, ...(check.http ? { http: { ...check.http, retries: 0 } } : {}) };
    try {
      await this.deps.health.check(site, platform, (line) => void log.push(line.slice(0, 500)), once);
      return { ok: true, site: site.name, message: 'the site passed the check.', log: log.slice(-20) };
    } catch (error) {
      if (!(error instanceof HostingError)) throw error;
      return { ok: false, site: site.name, message: error.message, log: log.slice(-20) };
    }
  }

  async delete(key: string, actor: Actor = SYSTEM_ACTOR): Promise<void> {
    const d = await this.get(key);
    const platforms = await this.repos.platforms.list({ distributionId: d.id }, { limit: 1, offset: 0 });
    if (platforms.total > 0) {
      throw new ConflictError(`Distribution \`${d.slug}\` still has ${plural(platforms.total, 'platform')}; delete them first.`);
    }
    await this.deps.audit.change(
      () => this.repos.distributions.delete(d.id),
      () => ({ actor, action: 'distribution.delete', subject: distributionSubject(d), details: { title: d.title } }),
    );
    await this.deps.holds.forget('distribution', d.id);
  }

  async list(): Promise<DistributionOverview[]> {
    const { items } = await this.repos.distributions.list(ALL_ITEMS);
    return Promise.all(items.map(async (d) => (await this.detail(d)).overview));
  }

  async show(key: string): Promise<DistributionDetail> {
    const { overview, platforms } = await this.detail(await this.get(key));
    return { ...overview, platforms };
  }

  /** Out-of-date sites grouped by platform, for one distribution or all. */
  async status(key?: string): Promise<OutdatedReport[]> {
    const dists = key ? [await this.get(key)] : (await this.repos.distributions.list(ALL_ITEMS)).items;
    return Promise.all(
      dists.map(async (distribution) => {
        const platforms = await this.livePlatforms(distribution.id);
        const target = platforms.find((p) => p.id === distribution.targetPlatformId) ?? null;
        const groups: OutdatedGroup[] = [];
        if (target) {
          for (const platform of platforms) {
            if (platform.id === target.id) continue;
            const { items } = await this.repos.sites.list({ platformIds: [platform.id], status: ['enabled'] }, ALL_ITEMS);
            if (items.length) groups.push({ platform, sites: items });
          }
        }
        return { distribution, target, groups };
      }),
    );
  }

  /**
   * Designates the upgrade target: validates it, compare-and-sets it, locks every other platform of the
   * distribution (unlocking the new target if an older target is re-chosen) and announces the change.
   */
  async setTarget(
    distributionKey: string,
    platformKey: string,
    actor: Actor,
    options: { expectedTargetId?: string | null } = {},
  ): Promise<TargetChange> {
    const distribution = await this.get(distributionKey);
    const target = await resolvePlatform(this.repos, platformKey);
    assertCanBeTarget(distribution, target);
    await this.deps.holds.assertCanBeTarget(target);
    const previousId = distribution.targetPlatformId;
    // A caller that decided on the basis of an older target (an automatic build) must not overwrite a newer one.
    if (options.expectedTargetId !== undefined && options.expectedTargetId !== previousId) {
      throw new ConflictError(`The target of \`${distribution.slug}\` changed meanwhile; not replacing it.`);
    }
    const previousTarget = previousId ? await this.repos.platforms.get(previousId) : null;
    if (previousId === target.id) {
      // Re-assert locks (cheap, idempotent) but announce nothing.
      const { locked, unlocked } = await this.repos.platforms.lockAllExcept(distribution.id, target.id);
      return { distribution, previousTarget, target, locked, unlocked, changed: false };
    }
    // The target, the locks it implies and the audit entry commit together (embedded store).
    const set = await this.repos.transaction(async () => {
      const updated = await this.repos.distributions.setTarget(distribution.id, target.id, previousId);
      if (!updated) return null;
      const locks = await this.repos.platforms.lockAllExcept(distribution.id, target.id);
      await this.deps.audit.record({
        actor,
        action: 'target.set',
        subject: distributionSubject(distribution),
        details: { from: previousTarget?.name ?? null, to: target.name, locked: locks.locked.length },
      });
      return { updated, ...locks };
    });
    if (!set) {
      throw new ConflictError(`The target of \`${distribution.slug}\` changed while this was being set; check it and try again.`, {
        next: { action: 'show-distribution', distribution: distribution.slug },
      });
    }
    const { updated, locked, unlocked } = set;
    await this.deps.events.publish({
      type: 'target.changed',
      distributionId: distribution.id,
      previousTargetId: previousId,
      targetId: target.id,
      actor,
    });
    const fresh = await mustGet('platform', target.id, (id) => this.repos.platforms.get(id));
    return { distribution: updated, previousTarget, target: fresh, locked, unlocked, changed: true };
  }

  private async livePlatforms(distributionId: string): Promise<Platform[]> {
    return (await this.repos.platforms.list({ distributionId, status: ['ready', 'locked'] }, ALL_ITEMS)).items;
  }

  private async detail(distribution: Distribution): Promise<{ overview: DistributionOverview; platforms: PlatformOverview[] }> {
    const { items: all } = await this.repos.platforms.list({ distributionId: distribution.id }, ALL_ITEMS);
    const visible = all.filter((p) => p.status !== 'deleted');
    const counts = await this.repos.sites.countByPlatform(visible.map((p) => p.id));
    const targetId = distribution.targetPlatformId;
    const target = visible.find((p) => p.id === targetId) ?? null;
    const [locks, pin] = await Promise.all([this.deps.holds.map('platform', visible.map((p) => p.id)), this.deps.holds.get('distribution', distribution.id)]);
    const platforms = visible.map((platform) => ({
      platform,
      siteCount: counts[platform.id] ?? 0,
      isTarget: platform.id === targetId,
      lock: locks.get(platform.id) ?? null,
    }));
    const siteCount = platforms.reduce((n, p) => n + p.siteCount, 0);
    let outdatedSiteCount = 0;
    if (target) {
      const outdatedIds = visible.filter((p) => p.id !== target.id).map((p) => p.id);
      if (outdatedIds.length) {
        outdatedSiteCount = (await this.repos.sites.list({ platformIds: outdatedIds, status: ['enabled'] }, { limit: 1, offset: 0 })).total;
      }
    }
    return {
      overview: { distribution, target, platformCount: visible.length, siteCount, outdatedSiteCount, pin },
      platforms,
    };
  }
}
