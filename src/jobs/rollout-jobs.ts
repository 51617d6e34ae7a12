/**
 * The `rollout.advance` job (payload and keys in src/domain/jobs.ts): moves one rollout on through
 * RolloutService.advance, which is idempotent and compare-and-set, so duplicates and crashes are harmless.
 */
import { ValidationError } from '../domain/errors.js';
import { ROLLOUT_ADVANCE_JOB, type RolloutAdvanceJobData } from '../domain/jobs.js';
import type { JobQueue } from '../domain/ports.js';
import type { RolloutService } from '../services/rollout-service.js';

export const registerRolloutJobs = (jobs: JobQueue, options: { rollouts: RolloutService; maxAttempts: number }): void => {
  jobs.define<RolloutAdvanceJobData>(
    ROLLOUT_ADVANCE_JOB,
    async (data) => {
      if (typeof data?.rolloutId !== 'string' || !data.rolloutId) throw new ValidationError(`${ROLLOUT_ADVANCE_JOB} job needs a rolloutId.`);
      await options.rollouts.advance(data.rolloutId);
    },
    { concurrency: 2, maxAttempts: options.maxAttempts },
  );
};

/** Advances every unfinished rollout once (a worker's start: a trigger may have been lost with a dead process). */
export const requeueRollouts = async (rollouts: RolloutService): Promise<number> => {
  const unfinished = await rollouts.unfinished();
  for (const r of unfinished) await rollouts.enqueueAdvance(r, 'start');
  return unfinished.length;
};
