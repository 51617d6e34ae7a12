/**
 * What a distribution's first poll builds (`upstream.initialBuilds`): the newest matching tag only (the default, 1),
 * the newest N, or every matching tag ("all"). Later polls build every tag not seen before, whatever this says;
 * an older tag is built on request (`/distro build`, POST /api/distributions/:slug/builds, the releases page).
 */
export type InitialBuilds = number | 'all';

export const DEFAULT_INITIAL_BUILDS: InitialBuilds = 1;

/** More than this many builds at once is "all": a number that large is a typo for it, and each build is a checkout. */
export const MAX_INITIAL_BUILDS = 500;

/** Why `value` is not a usable initialBuilds; null when it is. */
export const initialBuildsProblem = (value: unknown): string | null => {
  if (value === 'all') return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_INITIAL_BUILDS) return null;
  return `"all" or a whole number from 1 to ${MAX_INITIAL_BUILDS}`;
};

/** The tags a first poll builds, out of the matching ones sorted oldest first. */
export const initialSelection = <T>(matchingOldestFirst: readonly T[], initial: InitialBuilds | undefined): T[] => {
  const n = initial ?? DEFAULT_INITIAL_BUILDS;
  return n === 'all' ? [...matchingOldestFirst] : matchingOldestFirst.slice(-n);
};

/** The form's words for it, and back: "newest", "newest 3", "all". */
export const describeInitialBuilds = (value: InitialBuilds | undefined): string => {
  const n = value ?? DEFAULT_INITIAL_BUILDS;
  return n === 'all' ? 'every matching tag' : n === 1 ? 'the newest matching tag only' : `the newest ${n} matching tags`;
};
