import type { InitialBuilds } from './initial-builds.js';
import type { RolloutPolicy } from './rollout-policy.js';
import type { SecurityPolicy } from './security-policy.js';

/** Where new builds of a distribution come from. */
export type UpstreamSource = (
  | { kind: 'git'; url: string; branch?: string; tagPattern?: string; manifestPath: string }
  | { kind: 'github'; owner: string; repo: string; branch?: string; tagPattern?: string; manifestPath: string }
) & {
  /** What the first poll builds (absent: the newest matching tag only); see initial-builds.ts. */
  initialBuilds?: InitialBuilds;
};

export interface UpdatePolicy {
  /** Minutes between polls; 0 disables polling (webhooks and `/distro poll` still work). */
  pollIntervalMinutes: number;
  /** When true a newly built platform becomes the upgrade target automatically. */
  autoTarget: boolean;
  /** Hours a new build must have been known before it becomes the target automatically (src/domain/release-age.ts); default 0. */
  minReleaseAgeHours?: number | null;
  /** How Confirm's migrations reach the sites: waves, health checks, maintenance windows (absent: one wave, any time). */
  rollout?: RolloutPolicy | null;
  /** Security rollouts: skip maintenance windows, start automatically on an advisory (absent: both off). */
  security?: SecurityPolicy | null;
  /** Weekly advisory digest in the channel ("Mon 09:00 Europe/Amsterdam"): what is still exposed, what fixes it. */
  advisoryDigest?: string | null;
}

export interface Distribution {
  id: string;
  slug: string;
  title: string;
  description: string;
  /** Slack channel ID (or name) that receives announcements. */
  channel: string | null;
  upstream: UpstreamSource | null;
  policy: UpdatePolicy;
  targetPlatformId: string | null;
  /** Opaque poll bookkeeping (last seen commit/tag, ETags) owned by the poller. */
  pollState: Record<string, string>;
  /** When the upstream was last checked and how it went (null: never polled). */
  lastPoll: PollOutcome | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One upstream check: `error` is the reason it failed (redacted), null when it succeeded. */
export interface PollOutcome {
  at: Date;
  error: string | null;
}

export type NewDistribution = Pick<Distribution, 'slug' | 'title'> &
  Partial<Pick<Distribution, 'description' | 'channel' | 'upstream' | 'policy'>>;

/** What an operator may change; a partial policy is merged into the current one. */
export type DistributionPatch = Partial<Pick<Distribution, 'title' | 'description' | 'channel' | 'upstream'>> & {
  policy?: Partial<UpdatePolicy>;
};

export const DEFAULT_POLICY: UpdatePolicy = { pollIntervalMinutes: 60, autoTarget: true };

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Longest tag name or tag pattern considered; git refuses longer ref names on most file systems anyway. */
export const MAX_TAG_CHARS = 255;

/**
 * Tag patterns are simple globs (`12.*`, `v*`); `*` matches any run of characters, nothing else is special.
 * Matched without a regex (`a*a*a*…b` backtracked exponentially as one): the text between stars must appear in order,
 * and taking each piece's leftmost occurrence is always right for `*`-only globs, so each piece is one indexOf.
 */
export const matchesTagPattern = (pattern: string, tag: string): boolean => {
  if (pattern.length > MAX_TAG_CHARS || tag.length > MAX_TAG_CHARS) return false;
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === tag;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (first.length + last.length > tag.length || !tag.startsWith(first) || !tag.endsWith(last)) return false;
  let at = first.length;
  const end = tag.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    const found = tag.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
};
