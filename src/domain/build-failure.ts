import type { Platform } from './platform.js';

/** BuildService ends a failed build's log with this prefix and the error. */
export const BUILD_FAILED_PREFIX = 'Build failed: ';

/** The error sentence of a failed build (from its log), for the dashboard and the server log. */
export const buildFailure = (platform: Pick<Platform, 'buildLog'>): string => {
  const line = platform.buildLog.findLast((l) => l.startsWith(BUILD_FAILED_PREFIX));
  return line ? line.slice(BUILD_FAILED_PREFIX.length) : (platform.buildLog.at(-1) ?? 'The build failed without a log.');
};
