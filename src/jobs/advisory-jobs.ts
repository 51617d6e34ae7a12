/**
 * The `advisories.poll` job (name and keys in src/domain/jobs.ts): polls every advisory feed; scheduled every
 * ADVISORY_POLL_MINUTES by startWorkerJobs. A refused feed is not a failure (its notice is recorded and announced
 * once); network trouble is logged and left to the next scheduled poll (retrying sooner would not help a feed
 * that is down, and the last good snapshot stays in force meanwhile).
 */
import { TransientError } from '../domain/errors.js';
import { ADVISORY_DIGEST_JOB, ADVISORY_POLL_JOB } from '../domain/jobs.js';
import type { JobQueue } from '../domain/ports.js';
import type { Logger } from '../logger.js';
import type { AdvisoryService } from '../services/advisory-service.js';

export interface AdvisoryJobsOptions {
  advisories: AdvisoryService;
  logger: Logger;
}

export const registerAdvisoryJobs = (jobs: JobQueue, deps: AdvisoryJobsOptions): void => {
  jobs.define(
    ADVISORY_POLL_JOB,
    async () => {
      try {
        const outcomes = await deps.advisories.poll();
        deps.logger.info({ outcomes: outcomes.map((o) => `${o.source}: ${o.outcome}`) }, 'advisory feeds polled');
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        deps.logger.warn({ err: error }, 'advisory feed unreachable; the next poll tries again');
      }
    },
    { concurrency: 1, maxAttempts: 1 },
  );
  // Weekly digests (policy.advisoryDigest): claimed here, posted by the notifier. A failed run is tried again at
  // the next schedule, several times within a digest's hour.
  jobs.define(
    ADVISORY_DIGEST_JOB,
    async () => {
      const keys = await deps.advisories.startDigests();
      if (keys.length) deps.logger.info({ digests: keys }, 'advisory digests due');
    },
    { concurrency: 1, maxAttempts: 1 },
  );
};
