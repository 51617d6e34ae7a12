/**
 * The `distribution.poll` job (payload and keys in src/domain/jobs.ts): enqueued by PollService (asked-for polls,
 * webhooks) and scheduled per distribution by PollService.schedulePolls; defined on worker queues only.
 */
import { NotFoundError, TransientError } from '../domain/errors.js';
import { POLL_JOB, pollScheduleKey, type PollJobData } from '../domain/jobs.js';
import type { EventPublisher, JobQueue } from '../domain/ports.js';
import type { PollService } from '../services/poll-service.js';

export interface PollJobsOptions {
  polls: PollService;
  maxAttempts?: number;
  backoffMs?: number;
  /** Publishes `poll.failed` for polls a person asked for (others are only logged, as they repeat every interval). */
  events?: EventPublisher;
}

export const registerPollJobs = (jobs: JobQueue, deps: PollJobsOptions): void => {
  const maxAttempts = deps.maxAttempts ?? 3;
  jobs.define<PollJobData>(
    POLL_JOB,
    async (data, ctx) => {
      try {
        const { newPlatforms } = await deps.polls.checkDistribution(data.distributionId, data.actor ?? { kind: 'poll' });
        // A person who asked is waiting for an answer even when there is nothing new (new builds are announced).
        if (!newPlatforms.length && data.actor?.kind === 'user' && deps.events) {
          await deps.events.publish({ type: 'poll.nothing-new', distributionId: data.distributionId, actor: data.actor });
        }
      } catch (error) {
        // A deleted distribution's schedule is dropped instead of failing every interval forever.
        if (error instanceof NotFoundError) return jobs.cancelRecurring(pollScheduleKey(data.distributionId));
        const retried = error instanceof TransientError && ctx.attempt < maxAttempts;
        if (!retried && data.actor?.kind === 'user' && deps.events) {
          const message = error instanceof Error ? error.message : String(error);
          await deps.events.publish({ type: 'poll.failed', distributionId: data.distributionId, actor: data.actor, error: message });
        }
        throw error;
      }
    },
    { concurrency: 2, maxAttempts, ...(deps.backoffMs !== undefined ? { backoffMs: deps.backoffMs } : {}) },
  );
};
