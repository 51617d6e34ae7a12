/**
 * Automatic security upgrades (policy.security.autoUpgrade): when an advisory event newly exposes sites of a
 * distribution and its target fixes the advisory (AdvisoryService.assessEvent's `fix`), Distro proposes an upgrade
 * of exactly those sites and confirms it itself, as the system, making a security rollout (canary wave first when
 * the policy has waves). Idempotent and crash-safe: an event starts at most one automatic rollout per distribution
 * (a unique key in the store, looked up first), and the announcement path that calls this re-runs for events not
 * yet marked announced after a restart, finding the rollout already started or starting it then.
 *
 * Bounded: at most one automatic rollout per distribution in flight; none while the newest rollout of one of the
 * sites is paused or failed (a person decides what happens to those sites); and an event too big to be a weekly
 * update (more packages changed than policy.security.maxEventPackages, or more than maxCoveredFraction of a
 * platform's locked packages newly covered) needs a person. Each refusal is said in the announcement.
 */
import { ConflictError } from '../domain/errors.js';
import type { Hold } from '../domain/hold.js';
import { KeyedSemaphore } from '../lib/keyed-semaphore.js';
import type { Repositories } from '../domain/ports.js';
import type { Rollout, RolloutState } from '../domain/rollout.js';
import { eventNeedsReview, rolloutAwaitingPerson } from '../domain/security-policy.js';
import type { AdvisoryEventAction, EventAssessment } from './advisory-service.js';
import { SYSTEM_ACTOR } from './audit-log.js';
import type { HoldService } from './hold-service.js';
import type { UpgradeService } from './upgrade-service.js';

/** What the automatic path did for one distribution, for the announcement. */
export type AutoUpgradeOutcome =
  | { kind: 'started'; rollout: Rollout; skipWindows: boolean }
  /** The distribution is pinned: nothing was started. */
  | { kind: 'pinned'; hold: Hold }
  /** The upgrade has errors (a module downgrade or removal) and needs a person. */
  | { kind: 'blocked'; planId: string }
  /** Another automatic rollout of the distribution is still in flight: one at a time. */
  | { kind: 'in-flight'; rollout: Rollout }
  /** The newest rollout of some of these sites is paused or failed: it waits for a person. */
  | { kind: 'awaiting-person'; rollout: Rollout }
  /** The event is too big to act on without a person (why, for the announcement). */
  | { kind: 'needs-review'; reason: string };

/** Rollouts still moving sites (or holding them, paused). */
const IN_FLIGHT: RolloutState[] = ['scheduled', 'running', 'paused'];
/** How many recent rollouts of a distribution are read to find each site's newest one. */
const RECENT_ROLLOUTS = 200;

export class SecurityUpgrader {
  /**
   * One decision per distribution at a time in this process, so two events delivered at once cannot both find no
   * automatic rollout in flight and start two. (Feed events are committed by one poll at a time; across processes
   * the same race would need two deliveries of different events at the same instant.)
   */
  private readonly perDistribution = new KeyedSemaphore(1);

  constructor(private readonly deps: { repos: Repositories; upgrades: UpgradeService; holds: HoldService }) {}

  /** Acts on one assessment; null when the policy is off, nothing fixes it yet, or no exposed site can move. */
  readonly act: AdvisoryEventAction<AutoUpgradeOutcome | null> = (a: EventAssessment) => this.perDistribution.run([a.distribution.id], () => this.decide(a));

  private readonly decide = async (a: EventAssessment): Promise<AutoUpgradeOutcome | null> => {
    const { repos, holds, upgrades } = this.deps;
    if (!a.distribution.policy.security?.autoUpgrade || !a.fix) return null;
    const started = (rollout: Rollout): AutoUpgradeOutcome => ({ kind: 'started', rollout, skipWindows: Boolean(a.distribution.policy.security?.skipWindows) });
    const existing = await repos.rollouts.getAutomatic(a.event.id, a.distribution.id);
    if (existing) return started(existing);
    const pin = await holds.get('distribution', a.distribution.id);
    if (pin) return { kind: 'pinned', hold: pin };
    const review = eventNeedsReview(
      a.distribution.policy.security,
      a.event.changes.length,
      a.platforms.map((r) => ({ name: r.platform.name, covered: r.packages.length, locked: r.platform.manifest.packages.length })),
    );
    if (review) return { kind: 'needs-review', reason: review };
    const target = a.fix.platform;
    const exposed = a.platforms.filter((r) => r.platform.id !== target.id).flatMap((r) => r.sites.filter((s) => s.status === 'enabled'));
    const pins = await holds.map('site', exposed.map((s) => s.id));
    const sites = exposed.filter((s) => !pins.has(s.id));
    if (!sites.length) return null;
    const inFlight = (await repos.rollouts.list({ distributionId: a.distribution.id, state: IN_FLIGHT }, { limit: RECENT_ROLLOUTS, offset: 0 })).items;
    const automatic = inFlight.find((r) => r.security?.automatic);
    if (automatic) return { kind: 'in-flight', rollout: automatic };
    const recent = (await repos.rollouts.list({ distributionId: a.distribution.id }, { limit: RECENT_ROLLOUTS, offset: 0 })).items;
    const waiting = rolloutAwaitingPerson(recent, new Set(sites.map((s) => s.id)));
    if (waiting) return { kind: 'awaiting-person', rollout: waiting };
    const plan = await upgrades.proposeSites(a.distribution, target.id, sites, SYSTEM_ACTOR);
    if (plan.blocked) return { kind: 'blocked', planId: plan.id };
    try {
      const { view } = await upgrades.confirm(plan.id, SYSTEM_ACTOR, { advisoryEventId: a.event.id });
      return view.rollout ? started(view.rollout) : null;
    } catch (error) {
      // Another process started this event's rollout between the look-up and the confirm: its rollout stands.
      const raced = error instanceof ConflictError ? await repos.rollouts.getAutomatic(a.event.id, a.distribution.id) : null;
      if (raced) return started(raced);
      throw error;
    }
  };
}
