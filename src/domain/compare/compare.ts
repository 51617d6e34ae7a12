/**
 * What a site moving between two platforms gets: per-package changes with Aegir-style migrate-check severities,
 * security advisory status, and (for the Compare page) the tracked files that changed, with patches of small text ones.
 */
import { createTwoFilesPatch } from 'diff';
import type { Manifest, PackageEntry, Platform } from '../platform.js';
import { isInsecure, type AdvisoryIndex } from './advisories.js';
import { isManifestFile } from './manifest.js';
import type { ChangeKind, CompareCounts, CompareResult, FileDiff, FileDiffSummary, PackageChange, Severity } from './types.js';
import { classifyVersionChange } from './versions.js';

export interface ComparePlatformsOptions {
  advisories?: AdvisoryIndex;
  /** Modules enabled on the moving site(s): one missing from the target is an error, not a warning. */
  siteModules?: string[];
  /** Compute file diffs (the Compare page wants them, the Slack summary does not). */
  fileDiffs?: boolean;
}

type Side = Pick<Platform, 'id' | 'name' | 'manifest'>;

/** Composer types of Drupal extensions, the code that owns database schema (and can be enabled on a site). */
const SCHEMA_TYPES: ReadonlySet<string> = new Set([
  'drupal-core',
  'drupal-module',
  'drupal-theme',
  'drupal-profile',
  'drupal-custom-module',
  'drupal-custom-theme',
  'drupal-custom-profile',
]);

/**
 * Whether a package is a Drupal extension (core, module, theme, profile), whose database schema cannot go back.
 * By its composer type when known: `drupal/core-composer-scaffold` (a composer plugin), `drupal/core-recommended`
 * (a metapackage) or a `drupal-library` own no schema. Without a type (composer.json constraints), by its name.
 */
export const isDrupalExtension = (p: Pick<PackageEntry, 'name' | 'type'>): boolean =>
  p.type !== undefined ? SCHEMA_TYPES.has(p.type) : p.name.startsWith('drupal/');

/** Module machine name of a package (`drupal/social_event` → `social_event`). */
export const moduleName = (packageName: string): string => packageName.slice(packageName.lastIndexOf('/') + 1);

const SEVERITY_ORDER: Record<Severity, number> = { ok: 0, warning: 1, error: 2 };

/**
 * How a package's version changes. When the versions alone give no order (a release versus a branch build), the
 * order versions from the lock (`extra.drupal.version`, `branch-alias`) decide, if they do; a change is never `same`
 * unless the versions are equal.
 */
const classifyEntries = (from: PackageEntry, to: PackageEntry): ChangeKind => {
  const change = classifyVersionChange(from.version, to.version);
  if (change !== 'unknown' || (from.order === undefined && to.order === undefined)) return change;
  const ordered = classifyVersionChange(from.order ?? from.version, to.order ?? to.version);
  return ordered === 'upgrade' || ordered === 'downgrade' ? ordered : 'unknown';
};

const classify = (
  name: string,
  from: PackageEntry | undefined,
  to: PackageEntry | undefined,
  enabled: ReadonlySet<string>,
  advisories: AdvisoryIndex | undefined,
): PackageChange => {
  const type = to?.type ?? from?.type;
  const row: PackageChange = {
    name,
    ...(type !== undefined ? { type } : {}),
    from: from?.version ?? null,
    to: to?.version ?? null,
    change: 'same',
    severity: 'ok',
  };
  const reasons: string[] = [];
  const raise = (severity: Severity, reason: string): void => {
    if (SEVERITY_ORDER[severity] > SEVERITY_ORDER[row.severity]) row.severity = severity;
    reasons.push(reason);
  };
  const drupal = isDrupalExtension({ name, ...(type !== undefined ? { type } : {}) });

  if (from && to) {
    const change = classifyEntries(from, to);
    row.change = change;
    if (change === 'unknown') {
      raise('warning', `Cannot tell whether ${to.version} is newer than ${from.version} (development branches).`);
    } else if (change === 'downgrade') {
      if (drupal) raise('error', 'Downgrade of Drupal code: its database schema cannot go back.');
      else raise('warning', 'Downgrade of a package that owns no database schema.');
    }
  } else if (from) {
    row.change = 'missing';
    const module = moduleName(name);
    // Only Drupal packages are modules; a library that shares a module's name is not it.
    if (drupal && enabled.has(module)) raise('error', `Not in the target platform, but \`${module}\` is enabled on the site.`);
    else raise('warning', 'Not in the target platform.');
  } else {
    row.change = 'added';
  }

  if (advisories) {
    const currentInsecure = from ? isInsecure(advisories, name, from.version) : false;
    const targetInsecure = to ? isInsecure(advisories, name, to.version) : false;
    if (currentInsecure || targetInsecure) {
      // A package dropped from the target is not a fix: the advisory no longer applies, but nothing was updated.
      row.security = { currentInsecure, targetInsecure, fixed: currentInsecure && to !== undefined && !targetInsecure };
      if (targetInsecure) raise('warning', `Version ${to!.version} is covered by a Drupal security advisory.`);
    }
  }
  if (reasons.length) row.reason = reasons.join(' ');
  return row;
};

/** Security rows first, then errors, warnings, other changes, unchanged. */
const group = (p: PackageChange): number =>
  p.security ? 0 : p.severity === 'error' ? 1 : p.severity === 'warning' ? 2 : p.change !== 'same' ? 3 : 4;

const countOf = (packages: PackageChange[]): CompareCounts => {
  const counts: CompareCounts = {
    upgrade: 0,
    downgrade: 0,
    unknown: 0,
    same: 0,
    added: 0,
    missing: 0,
    securityFixes: 0,
    securityOpen: 0,
    warnings: 0,
    errors: 0,
  };
  for (const p of packages) {
    counts[p.change]++;
    if (p.security?.fixed) counts.securityFixes++;
    if (p.security?.targetInsecure) counts.securityOpen++;
    if (p.severity === 'warning') counts.warnings++;
    if (p.severity === 'error') counts.errors++;
  }
  return counts;
};

// ------------------------------------------------------------------------------------------ file diffs

/** Above this a file is not diffed at all (a diff of it would be unreadable and slow). */
export const MAX_DIFF_INPUT_CHARS = 256 * 1024;
/** A patch is cut to this many characters (at a line boundary) so one file cannot swamp the page. */
export const MAX_PATCH_CHARS = 64 * 1024;
/**
 * Bounds the diff algorithm's work on very different inputs (Myers is O(N·D)): 1000 edits costs ~100 ms on 4000-line
 * files and ~170 ms at the input cap, more change than a readable manifest diff has anyway. An edit bound rather than
 * a timeout keeps the result the same on a busy machine.
 */
const MAX_EDIT_LENGTH = 1_000;

/**
 * At most this many changed files are listed (with a patch or a note); the rest are only counted, so a platform
 * that swaps out thousands of files still gives a page a browser can open.
 */
export const MAX_LISTED_FILES = 1_000;
/**
 * Once the files diffed so far add up to this much text (both sides), later files get a note instead: bounds the
 * diff time (under 10 ms in the worst case of scripts/bench-compare.ts) and, with MAX_PATCH_CHARS, the page size.
 */
export const MAX_TOTAL_DIFF_CHARS = 1024 * 1024;

/** Files whose changes the package table already shows line by line. */
const COVERED_BY_PACKAGES = new Set(['composer.lock']);

const truncatePatch = (patch: string): { patch: string; truncated: boolean } => {
  if (patch.length <= MAX_PATCH_CHARS) return { patch, truncated: false };
  const cut = patch.lastIndexOf('\n', MAX_PATCH_CHARS);
  const kept = patch.slice(0, cut > 0 ? cut + 1 : MAX_PATCH_CHARS);
  const dropped = patch.slice(kept.length).split('\n').length - 1;
  return { patch: `${kept}\\ … patch truncated: ${dropped} more lines\n`, truncated: true };
};

const kb = (chars: number): string => `${Math.ceil(chars / 1024)} KB`;

/** Own-property lookup: a tracked file may well be called `constructor` or `toString`. */
const own = (record: Record<string, string>, key: string): string | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

/** Keys whose values differ between `a` and `b` (added, removed or changed), sorted. */
const changedKeys = (a: Record<string, string>, b: Record<string, string>): string[] => {
  const changed: string[] = [];
  for (const key of Object.keys(a)) if (own(b, key) !== a[key]) changed.push(key);
  for (const key of Object.keys(b)) if (!Object.hasOwn(a, key)) changed.push(key);
  return changed.sort();
};

const manifestFilesOf = (files: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(files).filter(([path]) => isManifestFile(path)));

const shortSha = (sha: string): string => sha.slice(0, 7);

/** Why a changed tracked file has no patch: its content was not kept at build time (binary, too large, over budget). */
const blobNote = (before: string | undefined, after: string | undefined): string =>
  before === undefined
    ? `Binary or large file: new blob ${shortSha(after!)}.`
    : after === undefined
      ? `Binary or large file: blob ${shortSha(before)} removed.`
      : `Binary or large file: blob ${shortSha(before)} → ${shortSha(after)}.`;

/** A symbolic link is shown by its target; what it points to was never read. */
const linkNote = (before: string | undefined, after: string | undefined): string =>
  `Symbolic link (not followed): ${before === undefined ? 'none' : `→ ${before}`} ⇒ ${after === undefined ? 'none' : `→ ${after}`}.`;

/** One changed file: a bounded unified patch, or a note saying why there is none. */
const textDiff = (
  path: string,
  change: FileDiff['change'],
  before: string | undefined,
  after: string | undefined,
  budget: { diffedChars: number },
): FileDiff => {
  const a = before ?? '';
  const b = after ?? '';
  if (a.length > MAX_DIFF_INPUT_CHARS || b.length > MAX_DIFF_INPUT_CHARS) {
    return { path, change, patch: '', note: `Too large to diff (${kb(a.length)} → ${kb(b.length)}).` };
  }
  if (budget.diffedChars >= MAX_TOTAL_DIFF_CHARS) {
    return { path, change, patch: '', note: `Patch left out to keep the page fast: the files above already took ${kb(budget.diffedChars)} of diffing.` };
  }
  budget.diffedChars += a.length + b.length;
  const patch = createTwoFilesPatch(
    before === undefined ? '/dev/null' : `a/${path}`,
    after === undefined ? '/dev/null' : `b/${path}`,
    a,
    b,
    undefined,
    undefined,
    { context: 3, maxEditLength: MAX_EDIT_LENGTH },
  );
  if (patch === undefined) return { path, change, patch: '', note: 'Too different to diff line by line.' };
  const bounded = truncatePatch(patch);
  return { path, change, patch: bounded.patch, ...(bounded.truncated ? { truncated: true } : {}) };
};

/**
 * Changed files between two platforms. With both trees recorded, every tracked file is compared by git object SHA
 * (cheap for thousands of files) and only changed ones whose content both sides kept get a patch; otherwise only the
 * manifest files are compared, by content. A rename shows as a removal plus an addition.
 */
const diffFiles = (from: Manifest, to: Manifest): Required<Pick<CompareResult, 'files' | 'fileSummary'>> => {
  const scope = from.tree && to.tree ? 'tree' : 'manifest';
  // In manifest scope the contents themselves serve as ids.
  const [idsFrom, idsTo] = from.tree && to.tree ? [from.tree, to.tree] : [manifestFilesOf(from.files), manifestFilesOf(to.files)];
  const changed = changedKeys(idsFrom, idsTo);
  const fileSummary: FileDiffSummary = { scope, added: 0, removed: 0, modified: 0, unlisted: Math.max(0, changed.length - MAX_LISTED_FILES) };
  const kind = (path: string): FileDiff['change'] =>
    !Object.hasOwn(idsFrom, path) ? 'added' : !Object.hasOwn(idsTo, path) ? 'removed' : 'modified';
  for (const path of changed) fileSummary[kind(path)]++;
  const budget = { diffedChars: 0 };
  const files = changed.slice(0, MAX_LISTED_FILES).map((path): FileDiff => {
    const change = kind(path);
    const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
    if (COVERED_BY_PACKAGES.has(base)) return { path, change, patch: '', note: 'Changes are listed in the package table.' };
    const [linkFrom, linkTo] = [own(from.links ?? {}, path), own(to.links ?? {}, path)];
    if (linkFrom !== undefined || linkTo !== undefined) return { path, change, patch: '', note: linkNote(linkFrom, linkTo) };
    const before = own(from.files, path);
    const after = own(to.files, path);
    const kept = (change === 'added' || before !== undefined) && (change === 'removed' || after !== undefined);
    if (!kept) return { path, change, patch: '', note: blobNote(own(idsFrom, path), own(idsTo, path)) };
    return textDiff(path, change, before, after, budget);
  });
  return { files, fileSummary };
};

// ------------------------------------------------------------------------------------------ entry points

/** Compares what a site on `from` has with what it would get on `to`. Pure: no I/O. */
export const comparePlatforms = (from: Side, to: Side, options: ComparePlatformsOptions = {}): CompareResult => {
  const before = new Map(from.manifest.packages.map((p) => [p.name, p]));
  const after = new Map(to.manifest.packages.map((p) => [p.name, p]));
  const enabled = new Set(options.siteModules ?? []);
  const names = new Set([...before.keys(), ...after.keys()]);
  const packages = [...names].map((name) => classify(name, before.get(name), after.get(name), enabled, options.advisories));
  packages.sort((a, b) => group(a) - group(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    from: { id: from.id, name: from.name },
    to: { id: to.id, name: to.name },
    packages,
    counts: countOf(packages),
    ...(options.fileDiffs ? diffFiles(from.manifest, to.manifest) : { files: [] }),
  };
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Short human lines for Slack and announcements. */
export const summarise = (result: CompareResult): string[] => {
  const c = result.counts;
  const changes = c.upgrade + c.downgrade + c.unknown + c.added + c.missing;
  const parts = [
    c.upgrade && plural(c.upgrade, 'upgrade'),
    c.downgrade && plural(c.downgrade, 'downgrade'),
    c.unknown && `${c.unknown} changed, order unknown`,
    c.added && `${c.added} added`,
    c.missing && `${c.missing} missing`,
  ].filter(Boolean);
  const lines = [
    changes === 0
      ? `No package changes (${plural(c.same, 'package')} identical).`
      : `${plural(changes, 'package change')}: ${parts.join(', ')} (${c.same} unchanged).`,
  ];
  const security = [
    c.securityFixes && plural(c.securityFixes, 'security fix', 'security fixes'),
    c.securityOpen && `${plural(c.securityOpen, 'advisory', 'advisories')} still open on the target`,
  ].filter(Boolean);
  if (security.length) lines.push(`${security.join(' · ')}.`);
  if (c.errors) {
    const names = result.packages.filter((p) => p.severity === 'error').map((p) => p.name);
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
    lines.push(`${plural(c.errors, 'error')} ${c.errors === 1 ? 'blocks' : 'block'} the upgrade: ${shown}.`);
  }
  if (c.warnings) lines.push(`${plural(c.warnings, 'warning')}.`);
  return lines;
};
