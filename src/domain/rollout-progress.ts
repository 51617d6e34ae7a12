import type { Task } from './task.js';
import type { UpgradePlan } from './upgrade-plan.js';

/** How far a rollout (an upgrade plan's tasks, later a rollout's waves) has got, site by site. */
export interface ProgressCounts {
  succeeded: number;
  failed: number;
  running: number;
  waiting: number;
}

/**
 * Each site's latest attempt (the task with the highest number per subject): a site that failed, was fixed and
 * migrated again counts once, as its retry ended.
 */
export const latestPerSite = <T extends Pick<Task, 'subject' | 'number'>>(tasks: readonly T[]): T[] => {
  const latest = new Map<string, T>();
  for (const t of tasks) {
    const seen = latest.get(t.subject.id);
    if (!seen || t.number > seen.number) latest.set(t.subject.id, t);
  }
  return [...latest.values()];
};

/**
 * Counts of a plan's sites by their latest task's state (pages, Slack and the API count the same way); `planned`
 * sites with no task yet (being scheduled, or in a later wave) are waiting. Cancelled tasks are left out: they will
 * not move.
 */
export const progressOf = (tasks: readonly Pick<Task, 'state' | 'subject' | 'number'>[], planned?: number): ProgressCounts => {
  const latest = latestPerSite(tasks);
  const c: ProgressCounts = { succeeded: 0, failed: 0, running: 0, waiting: Math.max(0, (planned ?? latest.length) - latest.length) };
  for (const t of latest) {
    if (t.state === 'succeeded') c.succeeded++;
    else if (t.state === 'failed') c.failed++;
    else if (t.state === 'processing') c.running++;
    else if (t.state === 'queued') c.waiting++;
  }
  return c;
};

/**
 * Sites a confirmed plan moves: every move but the ones left out (at Confirm or when their wave started); sites of
 * later waves have no task yet and count as waiting.
 */
export const plannedSites = (plan: Pick<UpgradePlan, 'moves' | 'skipped'>): number => {
  const skipped = new Set((plan.skipped ?? []).map((s) => s.site));
  return plan.moves.filter((m) => !skipped.has(m.siteName)).length;
};

/** A plan's progress by site: the one count pages, Slack and the API show. */
export const planProgress = (plan: Pick<UpgradePlan, 'moves' | 'skipped' | 'state'>, tasks: readonly Pick<Task, 'state' | 'subject' | 'number'>[]): ProgressCounts =>
  progressOf(tasks, plan.state === 'confirmed' ? plannedSites(plan) : undefined);
