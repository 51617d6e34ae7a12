/**
 * The security-advisory feed: snapshots of the Drupal conflict map (drupal-composer/drupal-security-advisories,
 * or an operator's file) and the events between them. A snapshot is "in force" once committed; an event is the
 * set of packages whose constraint changed from the previous snapshot of the same source.
 */

/** Where a snapshot came from: `git:<url>#<branch>` or `file:<path>` (stable across restarts). */
export type AdvisorySourceKey = string;

export interface AdvisorySnapshot {
  id: string;
  source: AdvisorySourceKey;
  /** The upstream commit (git), or the content digest (file). */
  commit: string;
  fetchedAt: Date;
  /** Package → constraint text, as published. */
  conflict: Record<string, string>;
}

export type NewAdvisorySnapshot = Omit<AdvisorySnapshot, 'id'>;

/** One package whose constraint changed; `before`/`after` null when it was added/removed. */
export interface AdvisoryChange {
  name: string;
  before: string | null;
  after: string | null;
}

export interface AdvisoryEvent {
  id: string;
  /** Increasing per store, for ordering and `/distro exposure` listings. */
  seq: number;
  source: AdvisorySourceKey;
  snapshotId: string;
  previousSnapshotId: string | null;
  commit: string;
  at: Date;
  /** Sorted by name. */
  changes: AdvisoryChange[];
  /** The first snapshot of a source: a baseline, never announced (every package would be "new"). */
  initial: boolean;
  /** Set once every affected distribution's announcement was claimed (see AdvisoryRepository.claimAnnouncement). */
  announced: boolean;
}

export type NewAdvisoryEvent = Omit<AdvisoryEvent, 'id' | 'seq' | 'snapshotId' | 'announced'>;

/** One distribution's message about one event; `ts` once posted, `fixedBy` once a follow-up said a build fixes it. */
export interface AdvisoryAnnouncement {
  eventId: string;
  distributionId: string;
  channel: string;
  ts: string | null;
  fixedBy: string | null;
  createdAt: Date;
}

/** What a feed poll remembers between runs (ETag, last commit seen, last refusal), per source. */
export type AdvisoryFeedState = Record<string, string>;

/** Packages whose constraint differs between two conflict maps, sorted by name (case as published). */
export const diffConflicts = (before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): AdvisoryChange[] => {
  const changes: AdvisoryChange[] = [];
  for (const name of Object.keys(after)) {
    const b = Object.hasOwn(before, name) ? before[name]! : null;
    if (b !== after[name]) changes.push({ name, before: b, after: after[name]! });
  }
  for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) changes.push({ name, before: before[name]!, after: null });
  return changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};

/** Several sources in force at once: a package is covered when any source covers it (alternatives joined by `|`). */
export const mergeConflicts = (maps: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> => {
  if (maps.length === 1) return maps[0]!;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const map of maps) {
    for (const [name, constraint] of Object.entries(map)) out[name] = Object.hasOwn(out, name) ? `${out[name]}|${constraint}` : constraint;
  }
  return out;
};
