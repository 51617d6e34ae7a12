/**
 * A distribution's security policy (`policy.security`): whether rollouts that fix a security advisory exposing its
 * sites skip maintenance windows, and whether Distro starts them by itself when an advisory event exposes sites the
 * upgrade target fixes. Both off by default. Validated here for every surface; each problem names its field.
 */
export interface SecurityPolicy {
  /** Security rollouts start their waves outside maintenance windows (waves, canaries and health checks still apply). */
  skipWindows?: boolean;
  /** An advisory event exposing sites the target fixes proposes and confirms their upgrade automatically. */
  autoUpgrade?: boolean;
  /** An event changing more packages than this needs a person (default DEFAULT_MAX_EVENT_PACKAGES). */
  maxEventPackages?: number;
  /** An event newly covering more than this fraction of a platform's locked packages needs a person (default 0.2). */
  maxCoveredFraction?: number;
}

/** What makes a rollout a security rollout: the advisory event it answers (null when known only from Compare). */
export interface RolloutSecurity {
  advisoryEventId: string | null;
  /** Started by Distro itself from the advisory event (policy.security.autoUpgrade). */
  automatic: boolean;
}

const FLAGS = ['skipWindows', 'autoUpgrade'] as const;
const KEYS = [...FLAGS, 'maxEventPackages', 'maxCoveredFraction'] as const;

/** An advisory event changing more packages than this needs a person (a feed gone wrong, not a weekly update). */
export const DEFAULT_MAX_EVENT_PACKAGES = 50;
/** An event newly covering more than this fraction of a platform's locked packages needs a person. */
export const DEFAULT_MAX_COVERED_FRACTION = 0.2;
const MAX_EVENT_PACKAGES_LIMIT = 100_000;

/** Problems of a `policy.security` value, each naming its field; [] when valid (or absent). */
export const securityPolicyProblems = (s: unknown, field = 'policy.security'): string[] => {
  if (s === undefined || s === null) return [];
  if (typeof s !== 'object' || Array.isArray(s)) return [`${field}: an object with ${KEYS.join(', ')}`];
  const o = s as Record<string, unknown>;
  return Object.keys(o).map((k) => {
    const v = o[k];
    if (v === undefined) return null;
    if ((FLAGS as readonly string[]).includes(k)) return typeof v === 'boolean' ? null : `${field}.${k}: true or false`;
    if (k === 'maxEventPackages') {
      return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_EVENT_PACKAGES_LIMIT ? null : `${field}.${k}: a whole number from 1 to ${MAX_EVENT_PACKAGES_LIMIT}`;
    }
    if (k === 'maxCoveredFraction') return typeof v === 'number' && v > 0 && v <= 1 ? null : `${field}.${k}: a fraction above 0, at most 1 (0.2 = 20%)`;
    return `${field}.${k.slice(0, 50)}: unknown setting (known: ${KEYS.join(', ')})`;
  }).filter((p): p is string => p !== null);
};

/**
 * Why an advisory event is too big to act on without a person (null: small enough): it changes more packages than
 * `maxEventPackages`, or newly covers more than `maxCoveredFraction` of one platform's locked packages.
 */
export const eventNeedsReview = (
  policy: SecurityPolicy | null | undefined,
  changedPackages: number,
  platforms: ReadonlyArray<{ name: string; covered: number; locked: number }>,
): string | null => {
  const maxPackages = policy?.maxEventPackages ?? DEFAULT_MAX_EVENT_PACKAGES;
  if (changedPackages > maxPackages) return `the advisory update changes ${changedPackages} packages, more than ${maxPackages} (policy.security.maxEventPackages)`;
  const maxFraction = policy?.maxCoveredFraction ?? DEFAULT_MAX_COVERED_FRACTION;
  for (const p of platforms) {
    if (p.locked && p.covered / p.locked > maxFraction) {
      return `it newly covers ${p.covered} of the ${p.locked} packages ${p.name} locks, more than ${Math.round(maxFraction * 100)}% (policy.security.maxCoveredFraction)`;
    }
  }
  return null;
};

/**
 * The rollout that holds these sites for a person: for each site its newest rollout (`rollouts` newest first), when
 * that one is paused or failed. Null when none is.
 */
export const rolloutAwaitingPerson = <R extends { state: string; waves: ReadonlyArray<{ sites: ReadonlyArray<{ siteId: string }> }> }>(
  rollouts: readonly R[],
  siteIds: ReadonlySet<string>,
): R | null => {
  const seen = new Set<string>();
  for (const r of rollouts) {
    for (const id of r.waves.flatMap((w) => w.sites.map((s) => s.siteId))) {
      if (!siteIds.has(id) || seen.has(id)) continue;
      seen.add(id);
      if (r.state === 'paused' || r.state === 'failed') return r;
    }
  }
  return null;
};

/** Whether a rollout of this distribution may start its waves outside maintenance windows. */
export const skipsWindows = (policy: { security?: SecurityPolicy | null } | undefined, rollout: { security?: RolloutSecurity | null }): boolean =>
  Boolean(rollout.security && policy?.security?.skipWindows);
