import type { Task } from './task.js';

/** How far a rollout (an upgrade plan's tasks, later a rollout's waves) has got, site by site. */
export interface ProgressCounts {
  succeeded: number;
  failed: number;
  running: number;
  waiting: number;
}

/**
 * Counts of a plan's moves by their task's state; `planned` moves with no task yet (being scheduled) are waiting.
 * Cancelled tasks are left out: they will not move.
 */
export const progressOf = (tasks: Pick<Task, 'state'>[], planned = tasks.length): ProgressCounts => {
  const c: ProgressCounts = { succeeded: 0, failed: 0, running: 0, waiting: Math.max(0, planned - tasks.length) };
  for (const t of tasks) {
    if (t.state === 'succeeded') c.succeeded++;
    else if (t.state === 'failed') c.failed++;
    else if (t.state === 'processing') c.running++;
    else if (t.state === 'queued') c.waiting++;
  }
  return c;
};
