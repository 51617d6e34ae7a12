/**
 * Minimum release age (`policy.minReleaseAgeHours`, like Renovate's minimumReleaseAge): a new build becomes the
 * upgrade target automatically only once it is at least that old, so a release pulled or re-tagged within hours
 * never reaches the fleet by itself. A build's age counts from when Distro first recorded it (the platform's
 * creation, i.e. when a poll or webhook saw the tag or commit); a person can still make it the target at once.
 */
export const MAX_RELEASE_AGE_HOURS = 24 * 365;

/** Problems of `policy.minReleaseAgeHours`, naming the field; [] when valid (or absent). */
export const releaseAgeProblems = (v: unknown, field = 'policy.minReleaseAgeHours'): string[] =>
  v === undefined || v === null || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_RELEASE_AGE_HOURS)
    ? []
    : [`${field}: a whole number of hours from 0 to ${MAX_RELEASE_AGE_HOURS}`];

/** When a build recorded at `recordedAt` is old enough to become the target automatically. */
export const matureAt = (recordedAt: Date, minReleaseAgeHours: number | null | undefined): Date =>
  new Date(recordedAt.getTime() + Math.max(0, minReleaseAgeHours ?? 0) * 3_600_000);
