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
}

/** What makes a rollout a security rollout: the advisory event it answers (null when known only from Compare). */
export interface RolloutSecurity {
  advisoryEventId: string | null;
  /** Started by Distro itself from the advisory event (policy.security.autoUpgrade). */
  automatic: boolean;
}

const KEYS = ['skipWindows', 'autoUpgrade'] as const;

/** Problems of a `policy.security` value, each naming its field; [] when valid (or absent). */
export const securityPolicyProblems = (s: unknown, field = 'policy.security'): string[] => {
  if (s === undefined || s === null) return [];
  if (typeof s !== 'object' || Array.isArray(s)) return [`${field}: an object with ${KEYS.join(', ')}`];
  const o = s as Record<string, unknown>;
  return Object.keys(o).map((k) =>
    (KEYS as readonly string[]).includes(k)
      ? o[k] === undefined || typeof o[k] === 'boolean' ? null : `${field}.${k}: true or false`
      : `${field}.${k.slice(0, 50)}: unknown setting (known: ${KEYS.join(', ')})`,
  ).filter((p): p is string => p !== null);
};

/** Whether a rollout of this distribution may start its waves outside maintenance windows. */
export const skipsWindows = (policy: { security?: SecurityPolicy | null } | undefined, rollout: { security?: RolloutSecurity | null }): boolean =>
  Boolean(rollout.security && policy?.security?.skipWindows);
