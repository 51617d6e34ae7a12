/**
 * Drupal security advisories, as published by drupal-composer/drupal-security-advisories: a composer.json whose
 * `conflict` map lists, per package, the versions covered by an advisory. Constraints are parsed once into
 * exact-version sets and ranges so a lookup is a hash probe plus a few comparisons.
 */
import { ValidationError } from '../errors.js';
import { parseUntrustedJson, stripBom } from './untrusted-input.js';
import { parseConstraintAlternatives, satisfiesBound, versionOperand, type Bound } from './constraints.js';
import type { ParsedVersion } from './versions.js';

export interface PackageAdvisory {
  /** Exact numbered versions listed (`1.0-beta2`), keyed by versionKey: most of the real map, a hash probe each. */
  exact: Set<string>;
  /** The rest, one AND of bounds per alternative (`>=8.9,<8.9.20`, `!=dev-main`, `*`), read as composer/semver does. */
  ranges: (readonly Bound[])[];
}

export interface AdvisoryIndex {
  /** Lower-cased package name → parsed constraint. */
  readonly packages: ReadonlyMap<string, PackageAdvisory>;
  /** Constraint alternatives that could not be understood (`package: text`); the rest of the map still applies. */
  readonly skipped: readonly string[];
}

/** Equality key: versions Composer considers equal (`1.0` and `1.0.0`) share a key. */
const versionKey = (v: ParsedVersion): string =>
  `${v.nums.join('.')}-${v.rank}.${v.rankNums.join('.')}${v.devSuffix ? '-dev' : ''}${v.post ? `+${v.post}` : ''}`;

/** Alternatives (`|`) one constraint may have: drupal/core, the longest real one, has ~500. */
export const MAX_ALTERNATIVES_PER_CONSTRAINT = 2_000;
/** Alternatives of a whole map: the real one has ~4,000; every version lookup and exposure pass is bounded by it. */
export const MAX_ALTERNATIVES_TOTAL = 50_000;

const alternativesOf = (constraint: string): number => {
  let n = 1;
  for (let i = constraint.indexOf('|'); i >= 0; i = constraint.indexOf('|', i + 1)) n++;
  return n;
};

/** Parses one constraint of `alternatives` alternatives (counted once, by the caller), yielding every 16 of them. */
function* parsingConstraint(name: string, constraint: string, alternatives: number, skipped: string[]): Generator<void, PackageAdvisory, void> {
  const advisory: PackageAdvisory = { exact: new Set(), ranges: [] };
  if (constraint.length > MAX_CONSTRAINT_CHARS) {
    skipped.push(`${name}: constraint longer than ${MAX_CONSTRAINT_CHARS} characters`);
    return advisory;
  }
  if (alternatives > MAX_ALTERNATIVES_PER_CONSTRAINT) {
    skipped.push(`${name}: more than ${MAX_ALTERNATIVES_PER_CONSTRAINT} alternatives in one constraint`);
    return advisory;
  }
  let n = 0;
  for (const { alternative, bounds } of parseConstraintAlternatives(constraint)) {
    if (++n % 16 === 0) yield;
    if (bounds === null) {
      skipped.push(`${name}: ${alternative}`);
      continue;
    }
    const only = bounds.length === 1 ? bounds[0]! : undefined;
    if (only?.op === '=' && 'version' in only.operand) advisory.exact.add(versionKey(only.operand.version));
    else advisory.ranges.push(bounds);
  }
  return advisory;
}

/** The real file is ~0.2 MB. */
export const MAX_ADVISORIES_CHARS = 10 * 1024 * 1024;
/** One package's constraint text; the longest real one (drupal/core) is ~1,500 characters. */
export const MAX_CONSTRAINT_CHARS = 64 * 1024;

/**
 * The `conflict` map of an advisories composer.json (package → constraint text), validated but not yet indexed.
 * With `skipped`, entries that are not strings are listed there instead of refusing the file. */
export const readConflictMap = (composerJson: string, file: string, maxChars: number, skipped?: string[]): Record<string, string> => {
  const doc = parseUntrustedJson(file, composerJson, maxChars);
  const conflict = (doc as { conflict?: unknown } | null)?.conflict;
  if (typeof conflict !== 'object' || conflict === null || Array.isArray(conflict)) {
    throw new ValidationError(`${file} has no \`conflict\` map.`, [], {
      hint: 'Use the composer.json of drupal-composer/drupal-security-advisories.',
    });
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, constraint] of Object.entries(conflict)) {
    if (typeof constraint !== 'string' && skipped) skipped.push(`${name}: ${JSON.stringify(constraint)}`);
    else if (typeof constraint !== 'string') {
      throw new ValidationError(`${file}: the constraint of \`${name}\` is not a string.`, [`conflict.${name}: not a string`]);
    } else out[name] = constraint;
  }
  return out;
};

/**
 * Indexes a conflict map (package → constraint text): the one home of "which versions does an advisory cover".
 * With `previous` (the map it replaces and its index), constraints whose text did not change are reused, so a new
 * snapshot costs the parsing of its changed packages only. A generator that yields after each package, so callers
 * that must not hold the event loop (the feed poller) can run it in slices; indexConflictMap runs it at once.
 */
export function* indexingConflictMap(
  conflict: Readonly<Record<string, string>>,
  previous?: { conflict: Readonly<Record<string, string>>; index: AdvisoryIndex },
): Generator<void, AdvisoryIndex, void> {
  const packages = new Map<string, PackageAdvisory>();
  const skipped: string[] = [];
  let total = 0;
  for (const [name, constraint] of Object.entries(conflict)) {
    const key = name.toLowerCase();
    const alternatives = alternativesOf(constraint);
    total += alternatives;
    if (total > MAX_ALTERNATIVES_TOTAL) {
      // The rest of the map is not indexed: a feed is refused whole for it, the bundled file keeps what came before.
      skipped.push(`${name}: the map has more than ${MAX_ALTERNATIVES_TOTAL} alternatives in all`);
      break;
    }
    const reused = previous && Object.hasOwn(previous.conflict, name) && previous.conflict[name] === constraint ? previous.index.packages.get(key) : undefined;
    packages.set(key, reused ?? (yield* parsingConstraint(name, constraint, alternatives, skipped)));
    yield;
  }
  if (previous) {
    // What could not be understood in a reused constraint is still not understood.
    const unchanged = (name: string) => Object.hasOwn(conflict, name) && previous.conflict[name] === conflict[name];
    skipped.push(...previous.index.skipped.filter((s) => unchanged(s.slice(0, s.indexOf(':')))));
  }
  return { packages, skipped };
}

/** indexingConflictMap run to the end at once. */
export const indexConflictMap = (
  conflict: Readonly<Record<string, string>>,
  previous?: { conflict: Readonly<Record<string, string>>; index: AdvisoryIndex },
): AdvisoryIndex => {
  const run = indexingConflictMap(conflict, previous);
  for (;;) {
    const step = run.next();
    if (step.done) return step.value;
  }
};

/** Parses the advisories composer.json. Throws ValidationError when it is not JSON or has no `conflict` map. */
export const parseAdvisories = (composerJson: string): AdvisoryIndex => {
  const skipped: string[] = [];
  const conflict = readConflictMap(composerJson, 'The security advisories file', MAX_ADVISORIES_CHARS, skipped);
  const index = indexConflictMap(conflict);
  // In the file's order: what could not be read is listed as it appears.
  const order = new Map(Object.keys(JSON.parse(stripBom(composerJson)).conflict as object).map((name, i) => [name, i]));
  const at = (s: string): number => order.get(s.slice(0, s.indexOf(':'))) ?? 0;
  return { packages: index.packages, skipped: [...skipped, ...index.skipped].sort((a, b) => at(a) - at(b)) };
};

/** A strict feed's refusal when its index skipped anything (see parseAdvisoryFeed). */
export const feedIndexProblem = (index: AdvisoryIndex, file: string): ValidationError | null =>
  index.skipped.length
    ? new ValidationError(`${file} has a constraint that does not parse: ${index.skipped[0]!.slice(0, 200)}`, index.skipped.slice(0, 10).map((s) => s.slice(0, 200)), {
        hint: 'The last good advisory snapshot stays in force; fix the feed or wait for its next commit.',
      })
    : null;

/**
 * A feed snapshot, strictly: unlike the bundled file (where a bad entry is skipped), a constraint that does not
 * parse refuses the whole snapshot, so the last good one stays in force.
 */
export const parseAdvisoryFeed = (composerJson: string, file: string, maxChars: number): { conflict: Record<string, string>; index: AdvisoryIndex } => {
  const conflict = readConflictMap(composerJson, file, maxChars);
  const index = indexConflictMap(conflict);
  const problem = feedIndexProblem(index, file);
  if (problem) throw problem;
  return { conflict, index };
};

/** True when `version` of `packageName` is covered by an advisory. */
export const isInsecure = (index: AdvisoryIndex, packageName: string, version: string): boolean => {
  const advisory = index.packages.get(packageName.toLowerCase());
  if (!advisory) return false;
  const operand = versionOperand(version);
  if (operand === null) return false;
  // A named branch (`dev-main`) is covered only by `*`, `!=` or its own name, as in Composer.
  if ('version' in operand && advisory.exact.has(versionKey(operand.version))) return true;
  return advisory.ranges.some((range) => range.every((b) => satisfiesBound(operand, b)));
};
