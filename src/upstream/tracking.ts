/**
 * What a distribution tracks upstream and how "new since last poll" is decided; shared by the git and GitHub
 * checkers so both keep the same pollState shape:
 *   `branch:<name>` → last seen head sha, `tags` → JSON array of seen matching tag names.
 */
import { matchesTagPattern, type UpstreamSource } from '../domain/distribution.js';
import type { UpstreamBuild } from '../domain/ports.js';

export interface Tracking {
  branch: string | null;
  /** Null when only a branch is tracked. */
  tagPattern: string | null;
}

/** A branch tracks its head; a tag pattern tracks matching tags; neither means "every tag" (releases). */
export const trackingOf = (upstream: UpstreamSource): Tracking => ({
  branch: upstream.branch ?? null,
  tagPattern: upstream.tagPattern ?? (upstream.branch ? null : '*'),
});

export const branchKey = (branch: string): string => `branch:${branch}`;
export const TAGS_KEY = 'tags';

/**
 * Orders tags like versions (`12.10.0` after `12.9.1`, `1.0.0-beta1` before `1.0.0`), falling back to text.
 * Kept local because the poller only needs an order, not Drupal constraint semantics.
 */
export const compareTags = (a: string, b: string): number => {
  const split = (t: string) => t.replace(/^v/i, '').split(/[.\-+_]/).filter(Boolean);
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    // A trailing alphabetic part is a pre-release: `1.0.0-rc1` < `1.0.0`; a trailing number is a patch level.
    if (x === undefined) return /^\d/.test(y!) ? -1 : 1;
    if (y === undefined) return /^\d/.test(x) ? 1 : -1;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (Number.isNaN(nx) !== Number.isNaN(ny)) {
      return Number.isNaN(nx) ? -1 : 1;
    } else if (x !== y) {
      return x.localeCompare(y, 'en', { numeric: true });
    }
  }
  return 0;
};

/** Looks like a release version (so two platforms can be ordered by it). */
export const isVersionTag = (ref: string): boolean => /^v?\d+(\.\d+)+([-+.][0-9A-Za-z.-]+)?$/.test(ref);

export interface CurrentRefs {
  /** Head of the tracked branch; undefined when not looked at (unchanged, or no branch tracked). */
  branchHead?: string;
  /** Tag name → commit; undefined when not looked at (unchanged, or no tags tracked). */
  tags?: Map<string, string>;
}

/**
 * Builds newer than `pollState`, oldest first, and the pollState keys to merge.
 * On a first poll (no bookkeeping yet) only the current head and the latest matching tag are reported,
 * never the whole history.
 */
export const selectNewBuilds = (
  tracking: Tracking,
  pollState: Record<string, string>,
  current: CurrentRefs,
): { builds: UpstreamBuild[]; pollState: Record<string, string> } => {
  const builds: UpstreamBuild[] = [];
  const patch: Record<string, string> = {};

  if (tracking.tagPattern !== null && current.tags) {
    const pattern = tracking.tagPattern;
    const matching = [...current.tags.keys()].filter((t) => matchesTagPattern(pattern, t)).sort(compareTags);
    const seenList = parseSeen(pollState[TAGS_KEY]);
    const seen = new Set<string>(seenList ?? []);
    const fresh = seenList === null ? matching.slice(-1) : matching.filter((t) => !seen.has(t));
    for (const tag of fresh) builds.push({ kind: 'tag', ref: tag, commit: current.tags.get(tag)! });
    for (const t of matching) seen.add(t);
    if (seenList === null || fresh.length > 0) patch[TAGS_KEY] = JSON.stringify([...seen].sort(compareTags));
  }

  if (tracking.branch !== null && current.branchHead) {
    const key = branchKey(tracking.branch);
    if (pollState[key] !== current.branchHead) {
      builds.push({ kind: 'branch', ref: tracking.branch, commit: current.branchHead });
      patch[key] = current.branchHead;
    }
  }
  return { builds, pollState: patch };
};

/** Null when there is no usable bookkeeping: corrupt state behaves like a first poll rather than re-reporting history. */
const parseSeen = (raw: string | undefined): string[] | null => {
  if (raw === undefined) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
  } catch {
    return null;
  }
};
