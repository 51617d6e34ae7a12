import { MIGRATION_STEPS } from './migration-steps.js';
import type { Task } from './task.js';

/** Checkpoint key of the step a migration is about to run (committed before it runs: write-ahead). */
export const CHECKPOINT_INTENT = 'intent';
/** Checkpoint key set (to the reason) when a migration starts rolling back. */
export const CHECKPOINT_ROLLBACK = 'rollback';
/**
 * Checkpoint key: how many times a crash (restart or lease takeover) cut this migration while its site was moving;
 * each was rolled back and queued again as a new attempt. Kept across attempts; not a failure of the site.
 */
export const CHECKPOINT_INTERRUPTIONS = 'interruptions';

/** How often a crash cut this task and it was retried (0 for most tasks). */
export const interruptionsOf = (t: Pick<Task, 'checkpoint'>): number => Number(t.checkpoint[CHECKPOINT_INTERRUPTIONS] ?? 0) || 0;

export interface TaskProgress {
  /** What the task is doing now (running), or where it stopped (finished); null when it has no steps. */
  current: string | null;
  /** Steps completed of `total` (migrations only). */
  done: number;
  total: number;
}

/**
 * The step a task is truly on: a running migration is on the step whose intent was committed last (its log says
 * `Step <intent>`), not on the last completed one; a rollback says so.
 */
export const taskProgress = (t: Pick<Task, 'type' | 'state' | 'step' | 'checkpoint'>): TaskProgress => {
  const steps: readonly string[] = t.type === 'migrate' ? MIGRATION_STEPS : [];
  const completed = t.step ? steps.indexOf(t.step) + 1 : 0;
  const done = t.state === 'succeeded' ? steps.length : completed;
  const intent = t.checkpoint[CHECKPOINT_INTENT];
  const running = t.state === 'processing';
  let current: string | null = t.step;
  if (t.checkpoint[CHECKPOINT_ROLLBACK]) current = running ? 'rolling back' : 'rolled back';
  else if (running && intent && intent !== t.step) current = intent;
  else if (t.state === 'succeeded' && steps.length) current = 'done';
  return { current, done, total: steps.length };
};
