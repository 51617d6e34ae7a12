/** JSON shapes of the admin API: domain objects minus bulky or internal parts (manifest file bodies, leases). */
import { planProgress } from '../../domain/rollout-progress.js';
import type { Platform } from '../../domain/platform.js';
import type { Task } from '../../domain/task.js';
import type { UpgradePlan } from '../../domain/upgrade-plan.js';
import type { DistributionOverview, TargetChange } from '../../services/distribution-service.js';
import type { RollbackStatus } from '../../services/rollback-service.js';
import type { ConfirmOutcome, PlanView } from '../../services/upgrade-service.js';

const ref = (p: { id: string; name: string } | null) => (p ? { id: p.id, name: p.name } : null);

export const platformSummary = (p: Platform) => {
  const { manifest, buildLog: _buildLog, ...rest } = p;
  return { ...rest, manifest: { format: manifest.format, packageCount: manifest.packages.length } };
};

export const platformDetail = (p: Platform) => ({
  ...p,
  manifest: { format: p.manifest.format, packages: p.manifest.packages, files: Object.keys(p.manifest.files).sort() },
});

export const distributionOverview = (o: DistributionOverview) => ({
  ...o.distribution,
  target: ref(o.target),
  platformCount: o.platformCount,
  siteCount: o.siteCount,
  outdatedSiteCount: o.outdatedSiteCount,
  pin: o.pin ? { reason: o.pin.reason, by: o.pin.by, at: o.pin.at } : null,
});

export const targetChange = (c: TargetChange) => ({
  distribution: c.distribution,
  target: ref(c.target),
  previousTarget: ref(c.previousTarget),
  locked: c.locked,
  unlocked: c.unlocked,
  changed: c.changed,
});

export const taskSummary = (t: Task) => {
  const { log, lease: _lease, checkpoint: _checkpoint, ...rest } = t;
  return { ...rest, logLines: log.length };
};

export const taskDetail = (t: Task) => {
  const { lease: _lease, checkpoint: _checkpoint, ...rest } = t;
  return rest;
};

/** A plan in a list: what it moves and where it stands (GET /api/upgrades/:id has the Compare groups). */
export const planSummary = (p: UpgradePlan) => ({
  id: p.id,
  state: p.state,
  distributionId: p.distributionId,
  targetPlatformId: p.targetPlatformId,
  scope: p.scope,
  sites: p.moves.length,
  blocked: p.blocked,
  tasks: p.taskIds.length,
  requestedBy: p.requestedBy,
  confirmedBy: p.confirmedBy,
  createdAt: p.createdAt,
  href: `/api/upgrades/${encodeURIComponent(p.id)}`,
});

export const planView = (v: PlanView) => ({
  ...v.plan,
  distribution: { id: v.distribution.id, slug: v.distribution.slug },
  target: ref(v.target),
  stale: v.stale,
  groups: v.groups.map((g) => ({
    from: ref(g.from),
    sites: g.sites.map((s) => s.name),
    counts: g.compare.counts,
    problems: g.compare.packages.filter((p) => p.severity !== 'ok').map((p) => ({ name: p.name, severity: p.severity, reason: p.reason ?? null })),
  })),
  tasks: v.tasks.map(taskSummary),
  /** Sites by their latest attempt (as the pages and Slack count them). */
  progress: planProgress(v.plan, v.tasks),
  rollout: v.rollout,
  held: v.held.map((h) => ({ site: h.site.name, reason: h.hold.reason, by: h.hold.by, at: h.hold.at })),
  /** Before Confirm: the waves and next window Confirm would use now. */
  preview: v.preview,
});

/** Whether a site can be rolled back, to where and until when, or why not. */
export const rollbackJson = (r: RollbackStatus) =>
  r.possible
    ? { possible: true, to: ref(r.previous), from: ref(r.current), migrationTask: r.migration.number, until: r.until }
    : { possible: false, reason: r.reason };

export const confirmOutcome = (o: ConfirmOutcome) => ({ scheduled: o.scheduled, skipped: o.skipped, plan: planView(o.view) });
