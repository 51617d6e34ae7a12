/** `unknown`: the version changed but which way cannot be told (a release versus a branch, two branch commits). */
export type ChangeKind = 'upgrade' | 'downgrade' | 'unknown' | 'same' | 'added' | 'missing';
export type Severity = 'ok' | 'warning' | 'error';

export interface SecurityStatus {
  /** The current (from) version matches a Drupal security advisory. */
  currentInsecure: boolean;
  /** The target (to) version still matches an advisory. */
  targetInsecure: boolean;
  /** The target has the package, at a version no advisory covers: moving fixes it (removing it does not count). */
  fixed: boolean;
  /** The advisory feed event that last changed this package's constraint, when the feed recorded one. */
  advisoryEventId?: string;
}

export interface PackageChange {
  name: string;
  type?: string;
  from: string | null;
  to: string | null;
  change: ChangeKind;
  /** Present only when an advisory applies to either side. */
  security?: SecurityStatus;
  severity: Severity;
  /** Why it is a warning/error, for humans. */
  reason?: string;
}

export interface FileDiff {
  path: string;
  change: 'added' | 'removed' | 'modified';
  /** Unified diff text (from the `diff` package); empty when not diffed (see `note`). */
  patch: string;
  /** Why there is no (full) patch: covered by the package table, too large, too different. */
  note?: string;
  /** The patch was cut to a bounded size. */
  truncated?: boolean;
}

/** What the file list covers and how much changed (present when file diffs were asked for). */
export interface FileDiffSummary {
  /** `tree`: every tracked file of both platforms; `manifest`: only the manifest files (a side has no recorded tree). */
  scope: 'tree' | 'manifest';
  added: number;
  removed: number;
  modified: number;
  /** Changed files counted above but left out of `files` (the listing is bounded). */
  unlisted: number;
}

export interface CompareCounts {
  upgrade: number;
  downgrade: number;
  /** Changed, order unknown (see ChangeKind). */
  unknown: number;
  same: number;
  added: number;
  missing: number;
  securityFixes: number;
  /** Advisories that still apply on the target. */
  securityOpen: number;
  warnings: number;
  errors: number;
}

export interface CompareResult {
  from: { id: string; name: string };
  to: { id: string; name: string };
  /** Security rows first, then errors, warnings, other changes, then unchanged; alphabetical within. */
  packages: PackageChange[];
  counts: CompareCounts;
  files: FileDiff[];
  fileSummary?: FileDiffSummary;
}
