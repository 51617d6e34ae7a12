/**
 * What a distribution tracks upstream and how "new since last poll" is decided; shared by the git and GitHub
 * checkers so both keep the same pollState shape:
 *   `branch:<name>` → last seen head sha, `tags` → JSON array of seen matching tag names.
 */
import { compareVersions } from './compare/versions.js';
import { matchesTagPattern, MAX_TAG_CHARS, type UpstreamSource } from './distribution.js';
import type { UpstreamBuild } from './ports.js';
import { initialSelection, type InitialBuilds } from './initial-builds.js';
import { isValidRefName } from './ref-name.js';

export interface Tracking {
  branch: string | null;
  /** Null when only a branch is tracked. */
  tagPattern: string | null;
  /** What a first poll builds of the matching tags. */
  initialBuilds?: InitialBuilds;
}

/** A branch tracks its head; a tag pattern tracks matching tags; neither means "every tag" (releases). */
export const trackingOf = (upstream: UpstreamSource): Tracking => ({
  branch: upstream.branch ?? null,
  tagPattern: upstream.tagPattern ?? (upstream.branch ? null : '*'),
  ...(upstream.initialBuilds !== undefined ? { initialBuilds: upstream.initialBuilds } : {}),
});

export const branchKey = (branch: string): string => `branch:${branch}`;
export const TAGS_KEY = 'tags';

/**
 * Looks like a release version (so two platforms can be ordered by it). The pattern is quadratic in the worst case
 * (`(\.\d+)+` and the suffix can split `.1.1.1…` many ways), so the length is bounded first.
 */
export const isVersionTag = (ref: string): boolean => ref.length <= MAX_TAG_CHARS && /^v?\d+(\.\d+)+([-+.][0-9A-Za-z.-]+)?$/.test(ref);

export interface CurrentRefs {
  /** Head of the tracked branch; undefined when not looked at (unchanged, or no branch tracked). */
  branchHead?: string;
  /** Tag name → commit; undefined when not looked at (unchanged, or no tags tracked). */
  tags?: Map<string, string>;
}

/**
 * Builds newer than `pollState`, oldest first, and the pollState keys to merge.
 * On a first poll (no bookkeeping yet) the current head and the matching tags `initialBuilds` asks for are reported
 * (the newest only by default); every matching tag is then marked seen, and an older one is built only on request.
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
    // Tag names come from the upstream server: ones git would refuse (or read as options) are never built.
    const matching = [...current.tags.keys()].filter((t) => isValidRefName(t) && matchesTagPattern(pattern, t)).sort(compareVersions);
    const seenList = parseSeen(pollState[TAGS_KEY]);
    const seen = new Set<string>(seenList ?? []);
    const fresh = seenList === null ? initialSelection(matching, tracking.initialBuilds) : matching.filter((t) => !seen.has(t));
    for (const tag of fresh) builds.push({ kind: 'tag', ref: tag, commit: current.tags.get(tag)! });
    for (const t of matching) seen.add(t);
    if (seenList === null || fresh.length > 0) patch[TAGS_KEY] = JSON.stringify([...seen].sort(compareVersions));
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

/**
 * One spelling per repository, so a webhook's clone_url/ssh_url/html_url can be matched against a configured git
 * upstream URL written any of the usual ways (https with or without `.git`, scp-style ssh, ssh://, credentials).
 */
export const normalizeRepoUrl = (url: string): string => {
  const raw = url.trim();
  if (raw.startsWith('file://')) return 'file:' + withoutGitSuffix(decodeURIComponent(raw.slice('file://'.length)));
  if (raw.startsWith('/')) return 'file:' + withoutGitSuffix(raw);
  let hostAndPath: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(raw);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && scp) {
    hostAndPath = `${scp[1]}/${scp[2]}`;
  } else {
    try {
      const u = new URL(raw);
      hostAndPath = `${u.hostname}${u.pathname}`;
    } catch {
      return raw.toLowerCase();
    }
  }
  return withoutGitSuffix(hostAndPath).toLowerCase();
};

/** Drops trailing slashes, then a `.git`. A loop, not `/\/+$/`: that regex is quadratic on long runs of slashes. */
const withoutGitSuffix = (path: string): string => {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  const trimmed = path.slice(0, end);
  return trimmed.endsWith('.git') ? trimmed.slice(0, -4) : trimmed;
};
