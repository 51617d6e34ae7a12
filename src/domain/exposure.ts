/**
 * Exposure: which locked packages of a platform an advisory covers, and so which sites are exposed. Kept
 * incrementally: the index knows which platforms lock each package, so an advisory event recomputes only the
 * platforms that lock a changed package, and a new or rebuilt platform only itself.
 */
import type { AdvisoryChange } from './advisory-feed.js';
import { indexConflictMap, isInsecure, type AdvisoryIndex } from './compare/advisories.js';
import type { PackageEntry } from './platform.js';

export interface ExposedPackage {
  name: string;
  version: string;
  type?: string;
}

interface PlatformEntry {
  /** Changes when the platform's manifest may have changed (its updatedAt), so a stale entry is recomputed. */
  version: string;
  packages: PackageEntry[];
  /** Lower-cased name → exposed package. */
  exposed: Map<string, ExposedPackage>;
}

const EMPTY: AdvisoryIndex = { packages: new Map(), skipped: [] };

export const exposedOf = (index: AdvisoryIndex, p: PackageEntry): ExposedPackage | null =>
  // A branch build sorts as its `order` version (dev-1.x#abc → 1.x-dev), as Compare reads it.
  index.packages.has(p.name.toLowerCase()) && isInsecure(index, p.name, p.order ?? p.version)
    ? { name: p.name, version: p.version, ...(p.type ? { type: p.type } : {}) }
    : null;

export class ExposureIndex {
  private advisories: AdvisoryIndex = EMPTY;
  private readonly platforms = new Map<string, PlatformEntry>();
  /** Lower-cased package name → ids of platforms that lock it. */
  private readonly byPackage = new Map<string, Set<string>>();

  get size(): number {
    return this.platforms.size;
  }

  /** The platform's entry version, or undefined when the index does not know it. */
  versionOf(platformId: string): string | undefined {
    return this.platforms.get(platformId)?.version;
  }

  platformIds(): string[] {
    return [...this.platforms.keys()];
  }

  /**
   * A new advisory map. With `changed` (package names of an event), only platforms locking one of them are
   * recomputed, and only for those packages; without it, every platform. Returns the ids whose exposure changed.
   */
  setAdvisories(index: AdvisoryIndex, changed?: Iterable<string>): string[] {
    this.advisories = index;
    const touched = new Set<string>();
    if (!changed) {
      for (const [id, entry] of this.platforms) if (this.recompute(entry)) touched.add(id);
      return [...touched];
    }
    for (const raw of changed) {
      const name = raw.toLowerCase();
      for (const id of this.byPackage.get(name) ?? []) {
        const entry = this.platforms.get(id)!;
        const p = entry.packages.find((x) => x.name.toLowerCase() === name);
        const next = p ? exposedOf(index, p) : null;
        const had = entry.exposed.has(name);
        if (next) entry.exposed.set(name, next);
        else entry.exposed.delete(name);
        if (had !== (next !== null)) touched.add(id);
      }
    }
    return [...touched];
  }

  /** Adds or replaces a platform's packages; a known `version` is a no-op. Returns whether anything was computed. */
  upsertPlatform(id: string, version: string, packages: readonly PackageEntry[]): boolean {
    const current = this.platforms.get(id);
    if (current?.version === version) return false;
    if (current) this.unindex(id, current);
    const entry: PlatformEntry = { version, packages: [...packages], exposed: new Map() };
    for (const p of entry.packages) {
      const name = p.name.toLowerCase();
      let set = this.byPackage.get(name);
      if (!set) this.byPackage.set(name, (set = new Set()));
      set.add(id);
    }
    this.recompute(entry);
    this.platforms.set(id, entry);
    return true;
  }

  removePlatform(id: string): void {
    const entry = this.platforms.get(id);
    if (!entry) return;
    this.unindex(id, entry);
    this.platforms.delete(id);
  }

  /** The platform's exposed packages, sorted by name; empty when unknown or clean. */
  exposureOf(platformId: string): ExposedPackage[] {
    const entry = this.platforms.get(platformId);
    return entry ? [...entry.exposed.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) : [];
  }

  /** Whether the platform locks a version of one of `names` that the advisories cover. */
  exposedTo(platformId: string, names: Iterable<string>): ExposedPackage[] {
    const entry = this.platforms.get(platformId);
    if (!entry) return [];
    const out: ExposedPackage[] = [];
    for (const n of names) {
      const hit = entry.exposed.get(n.toLowerCase());
      if (hit) out.push(hit);
    }
    return out;
  }

  private recompute(entry: PlatformEntry): boolean {
    const before = entry.exposed.size;
    entry.exposed = new Map();
    for (const p of entry.packages) {
      const hit = exposedOf(this.advisories, p);
      if (hit) entry.exposed.set(p.name.toLowerCase(), hit);
    }
    return before !== entry.exposed.size || before > 0;
  }

  private unindex(id: string, entry: PlatformEntry): void {
    for (const p of entry.packages) this.byPackage.get(p.name.toLowerCase())?.delete(id);
  }
}

/**
 * A site's exposure: its platform's, narrowed by the modules it has enabled when they are known. A Drupal module
 * project (`drupal/foo`) matters when the site enables `foo` or one of its submodules (`foo_*`); core, profiles,
 * themes and libraries always matter, as does everything when the site's modules are unknown.
 */
export const siteExposure = (platformExposure: readonly ExposedPackage[], modules: readonly string[]): ExposedPackage[] => {
  if (!modules.length) return [...platformExposure];
  const enabled = new Set(modules.map((m) => m.toLowerCase()));
  return platformExposure.filter((p) => {
    if (p.type !== 'drupal-module' || !p.name.startsWith('drupal/')) return true;
    const project = p.name.slice('drupal/'.length).toLowerCase();
    if (enabled.has(project)) return true;
    for (const m of enabled) if (m.startsWith(`${project}_`)) return true;
    return false;
  });
};

/**
 * What an advisory event changed for one platform: the packages it locks at a version that a changed constraint
 * covers now and did not cover before (an event re-publishing a constraint that already covered a locked version
 * exposes nothing new). `others` is the map of the other sources in force, unchanged by the event: a version one
 * of them already covers was exposed before.
 */
export class EventCoverage {
  private readonly before: AdvisoryIndex;
  private readonly after: AdvisoryIndex;
  private readonly others: AdvisoryIndex;
  /** Lower-cased names of the packages whose constraint the event added or changed (removals expose nothing). */
  readonly names: ReadonlySet<string>;

  constructor(changes: readonly AdvisoryChange[], others: Readonly<Record<string, string>> = {}) {
    const before: Record<string, string> = Object.create(null) as Record<string, string>;
    const after: Record<string, string> = Object.create(null) as Record<string, string>;
    const other: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const c of changes) {
      if (c.after === null) continue;
      after[c.name] = c.after;
      if (c.before !== null) before[c.name] = c.before;
      if (Object.hasOwn(others, c.name)) other[c.name] = others[c.name]!;
    }
    // Only the changed constraints are parsed: an event costs its own size, not the map's.
    this.before = indexConflictMap(before);
    this.after = indexConflictMap(after);
    this.others = indexConflictMap(other);
    this.names = new Set(Object.keys(after).map((n) => n.toLowerCase()));
  }

  /** The platform's packages this event newly exposes, sorted by name. */
  newlyExposed(packages: readonly PackageEntry[]): ExposedPackage[] {
    const out: ExposedPackage[] = [];
    for (const p of packages) {
      if (!this.names.has(p.name.toLowerCase())) continue;
      const hit = exposedOf(this.after, p);
      if (hit && !exposedOf(this.before, p) && !exposedOf(this.others, p)) out.push(hit);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
