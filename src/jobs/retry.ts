/** Retry policy shared by the job queue adapters, so SQLite and Agenda retry identically. */
import { TransientError } from '../domain/errors.js';
import type { JobOptions } from '../domain/ports.js';

export const DEFAULT_JOB_OPTIONS: Required<JobOptions> = { concurrency: 1, maxAttempts: 3, backoffMs: 1000 };

export const jobOptions = (options: JobOptions = {}): Required<JobOptions> => ({
  concurrency: Math.max(1, options.concurrency ?? DEFAULT_JOB_OPTIONS.concurrency),
  maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_JOB_OPTIONS.maxAttempts),
  backoffMs: Math.max(0, options.backoffMs ?? DEFAULT_JOB_OPTIONS.backoffMs),
});

/**
 * Delay before the next attempt after `attempt` (1-based) failed with `error`, or null for no retry:
 * only TransientError is retried, up to maxAttempts in total, doubling from backoffMs, never sooner than
 * the error's retryAfterMs (a rate limit's reset time).
 */
export const retryDelay = (error: unknown, attempt: number, options: Required<JobOptions>): number | null => {
  if (!(error instanceof TransientError) || attempt >= options.maxAttempts) return null;
  const backoff = options.backoffMs * 2 ** (attempt - 1);
  return Math.max(backoff, error.retryAfterMs ?? 0);
};

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
