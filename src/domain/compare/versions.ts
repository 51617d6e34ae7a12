/**
 * Drupal-aware version ordering, following Composer's rules (composer/semver) so that what we call an
 * upgrade is what `composer update` would call one, plus the Drupal.org forms (`8.x-1.3`, `7.x-3.14`).
 */

/** Composer stability ranks: dev < alpha < beta < RC < stable < patch (`pl`/`p`). */
const RANK = { dev: 0, alpha: 1, beta: 2, rc: 3, stable: 4, patch: 5 } as const;
type Rank = (typeof RANK)[keyof typeof RANK];

/** Composer's stand-in for "any later number" in branch versions (`2.x-dev` = 2.9999999.9999999.9999999-dev). */
export const BRANCH_MAX = 9999999;

/**
 * Branch names composer/semver sorts as the newest of everything (VersionParser::normalizeDefaultBranch). Composer 2
 * gives `dev-main` no such place: like any other named branch it has no order against numbered versions.
 */
const DEFAULT_BRANCHES = new Set(['master', 'default', 'trunk']);

export interface ParsedVersion {
  /** Four numeric parts, zero padded (Composer normalises to `a.b.c.d`). */
  nums: readonly [number, number, number, number];
  rank: Rank;
  /** Numbers after the stability word (`beta2` → [2]). */
  rankNums: readonly number[];
  /** A trailing `-dev` on a pre-release (`1.0.0-beta2-dev`) sorts just before that pre-release. */
  devSuffix: boolean;
  /** A branch tip (`2.x-dev`, `dev-master`): newest of its branch line, commit order unknown. */
  branch: boolean;
  /** A named branch that has no place in the numeric order (`dev-my-feature`). */
  named?: string;
  /** Commits after the tagged version, from Drupal.org's dev-snapshot form `1.0-beta2+12-dev`; 0 otherwise. */
  post: number;
}

const STABILITY_WORDS: Record<string, Rank> = {
  stable: RANK.stable,
  alpha: RANK.alpha,
  a: RANK.alpha,
  beta: RANK.beta,
  b: RANK.beta,
  rc: RANK.rc,
  patch: RANK.patch,
  pl: RANK.patch,
  p: RANK.patch,
};

// `1.2.3`, `1.2.3-beta2`, `1.0.0-rc.1`, `1.2-dev`, `1.2.x-dev`, `1.*`; the core prefix (`8.x-`) is stripped first.
// Every part has one way to match (the stability numbers are `[.-]?\d+` then `[.-]\d+` repeats, never an optional
// separator inside a repeat, which backtracked exponentially on `1.0.0-beta1111…x`), so a match is linear.
const NUMERIC_RE =
  /^(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?(?:[._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)([.-]?\d+(?:[.-]\d+)*)?)?([.-]?dev)?$/;
// Drupal.org contrib versions carry the core compatibility in front: `8.x-1.3`, `7.x-3.x-dev`.
const CORE_PREFIX_RE = /^\d+\.x-(?=\d)/;

/** Longer strings are no version anyone tags (git refs are ≤ 255 bytes); they get no place in the order. */
export const MAX_VERSION_CHARS = 128;
/** Drupal.org dev snapshots: `+12-dev` = 12 commits after the version in front. */
const POST_RE = /^\+(\d{1,9})-dev$/;

const cache = new Map<string, ParsedVersion>();
const CACHE_LIMIT = 20_000;

/**
 * Strips what carries no ordering information: whitespace, a `v` tag prefix, the Drupal core prefix,
 * constraint operators (composer.json requirements used as versions), a `#commit` suffix and a ` as x` alias.
 */
const clean = (input: string): string => {
  let v = input.trim().toLowerCase();
  const hash = v.indexOf('#');
  if (hash >= 0) v = v.slice(0, hash);
  const alias = v.indexOf(' as ');
  if (alias >= 0) v = v.slice(0, alias);
  v = v.replace(/^[\^~=<>!\s]+/, '').trim();
  if (/^v\d/.test(v)) v = v.slice(1);
  return v.replace(CORE_PREFIX_RE, '');
};

const parseUncached = (input: string): ParsedVersion => {
  if (input.length > MAX_VERSION_CHARS) return { nums: [0, 0, 0, 0], rank: RANK.dev, rankNums: [], devSuffix: false, branch: false, named: input, post: 0 };
  let v = clean(input);
  if (v.startsWith('dev-')) {
    const name = v.slice(4);
    return DEFAULT_BRANCHES.has(name)
      ? { nums: [BRANCH_MAX, 0, 0, 0], rank: RANK.dev, rankNums: [], devSuffix: false, branch: true, post: 0 }
      : { nums: [0, 0, 0, 0], rank: RANK.dev, rankNums: [], devSuffix: false, branch: true, named: name, post: 0 };
  }
  // Build metadata (`1.0.0+build1`) carries no order (semver, Composer); Drupal's `+N-dev` does.
  let post = 0;
  const plus = v.indexOf('+');
  if (plus >= 0) {
    post = Number(POST_RE.exec(v.slice(plus))?.[1] ?? 0);
    v = v.slice(0, plus);
  }
  const m = NUMERIC_RE.exec(v);
  if (!m) return { nums: [0, 0, 0, 0], rank: RANK.dev, rankNums: [], devSuffix: false, branch: false, named: v, post: 0 };
  const parts = [m[1], m[2], m[3], m[4]];
  // Once a wildcard appears, every later part is "any": `1.x` = 1.9999999.9999999.9999999.
  let wild = false;
  const nums = parts.map((p) => {
    if (wild || p === 'x' || p === '*') {
      wild = true;
      return BRANCH_MAX;
    }
    return p === undefined ? 0 : Number(p);
  }) as unknown as [number, number, number, number];
  const word = m[5];
  const dev = m[7] !== undefined;
  if (wild) return { nums, rank: RANK.dev, rankNums: [], devSuffix: false, branch: true, post: 0 };
  if (word === undefined) {
    // `1.2-dev` is the lowest pre-release of 1.2.0, not a branch tip (Composer semantics).
    return { nums, rank: dev ? RANK.dev : RANK.stable, rankNums: [], devSuffix: false, branch: false, post };
  }
  const rankNums = (m[6] ?? '').split(/[.-]/).filter(Boolean).map(Number);
  return { nums, rank: STABILITY_WORDS[word]!, rankNums, devSuffix: dev, branch: false, post };
};

/** Parses (and memoises: the same few hundred version strings recur in every compare). */
export const parseVersion = (input: string): ParsedVersion => {
  const hit = cache.get(input);
  if (hit) return hit;
  const parsed = parseUncached(input);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(input, parsed);
  return parsed;
};

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Total order on parsed versions; named branches sort below everything numeric, like Composer's `dev-*`. */
export const compareParsed = (a: ParsedVersion, b: ParsedVersion): -1 | 0 | 1 => {
  if (a.named !== undefined || b.named !== undefined) {
    if (a.named === undefined) return 1;
    if (b.named === undefined) return -1;
    return a.named === b.named ? 0 : a.named < b.named ? -1 : 1;
  }
  for (let i = 0; i < 4; i++) {
    const d = a.nums[i]! - b.nums[i]!;
    if (d !== 0) return sign(d);
  }
  if (a.rank !== b.rank) return sign(a.rank - b.rank);
  const len = Math.max(a.rankNums.length, b.rankNums.length);
  for (let i = 0; i < len; i++) {
    const d = (a.rankNums[i] ?? 0) - (b.rankNums[i] ?? 0);
    if (d !== 0) return sign(d);
  }
  if (a.devSuffix !== b.devSuffix) return a.devSuffix ? -1 : 1;
  return sign(a.post - b.post);
};

/**
 * Orders two versions: -1 when `a` is older, 1 when newer, 0 when equivalent (`8.x-1.3` = `1.3.0` = `v1.3`).
 * A total order, usable with Array.prototype.sort; see classifyVersionChange for "is this really an upgrade".
 */
export const compareVersions = (a: string, b: string): -1 | 0 | 1 =>
  a === b ? 0 : compareParsed(parseVersion(a), parseVersion(b));

export type VersionChange = 'upgrade' | 'downgrade' | 'same' | 'unknown';

const commitOf = (v: string): string | undefined => {
  const hash = v.indexOf('#');
  return hash >= 0 ? v.slice(hash + 1).trim() : undefined;
};

/**
 * What moving from `from` to `to` does. `unknown` when no honest answer exists: two different named branches,
 * or the same branch tip at different commits (which commit is newer is not in the version string).
 */
export const classifyVersionChange = (from: string, to: string): VersionChange => {
  if (from === to) return 'same';
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (a.named !== undefined || b.named !== undefined) {
    if (a.named !== undefined && b.named !== undefined) return a.named === b.named && commitOf(from) === commitOf(to) ? 'same' : 'unknown';
    // A numbered release versus a feature branch: no order between them either.
    return 'unknown';
  }
  const c = compareParsed(a, b);
  if (c !== 0) return c < 0 ? 'upgrade' : 'downgrade';
  if (a.branch && commitOf(from) !== commitOf(to)) return 'unknown';
  return 'same';
};

/**
 * Display form: trims, drops a `v` tag prefix and the Drupal core prefix (`8.x-1.3` → `1.3`), lower-cases the
 * stability word (`1.0.0-RC1` → `1.0.0-rc1`). Branch names and `#commit` suffixes are kept.
 */
export const normaliseVersion = (input: string): string => {
  let v = input.trim();
  if (/^v\d/i.test(v)) v = v.slice(1);
  v = v.replace(CORE_PREFIX_RE, '');
  if (v.startsWith('dev-')) return v;
  return v.replace(/([._-])(stable|beta|b|rc|alpha|a|patch|pl|p)(?=[.-]?\d|$|[.-]dev)/i, (_, sep: string, w: string) => sep + w.toLowerCase());
};
