/**
 * The request id of the work being done, carried through async calls (AsyncLocalStorage), so whatever a request
 * starts (jobs it enqueues, tasks it creates) can record which request it came from.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `work` with `requestId` as the current request id. */
export const runWithRequestId = <T>(requestId: string, work: () => T): T => storage.run({ requestId }, work);

/** The current request id, or undefined outside a request (schedules, recovery). */
export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;

/** What an incoming X-Request-Id may be: 1–128 characters of a safe set (no spaces, quotes or control characters). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export const isValidRequestId = (value: unknown): value is string => typeof value === 'string' && REQUEST_ID_PATTERN.test(value);

/** A job payload with the current request id added (when there is one and the payload is an object without one). */
export const withRequestId = <T>(data: T): T => {
  const requestId = currentRequestId();
  if (!requestId || typeof data !== 'object' || data === null || Array.isArray(data) || 'requestId' in data) return data;
  return { ...data, requestId };
};

/** Runs a job's handler as part of the request that enqueued it (its payload's `requestId`), if any. */
export const runAsJobOf = <T>(data: unknown, work: () => T): T => {
  const requestId = typeof data === 'object' && data !== null ? (data as { requestId?: unknown }).requestId : undefined;
  return isValidRequestId(requestId) ? runWithRequestId(requestId, work) : work();
};
