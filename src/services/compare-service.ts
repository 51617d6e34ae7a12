import type { AdvisoryIndex } from '../domain/compare/advisories.js';
import { comparePlatforms } from '../domain/compare/compare.js';
import type { CompareResult } from '../domain/compare/types.js';
import type { Repositories } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import { resolvePlatform } from './lookup.js';

export interface CompareOptions {
  /** Modules enabled on the moving site(s): a missing one is an error rather than a warning. */
  siteModules?: string[];
  fileDiffs?: boolean;
}

/**
 * What the advisories say about a platform's code: packages covered by an advisory now, and those its
 * distribution's upgrade target fixes (a security fix waiting for the platform's sites).
 */
export interface PlatformSecurity {
  insecurePackages: string[];
  fixesWaiting: string[];
}

/** Platforms are immutable once built, so results are cached by (from, to, modules, diffs). */
const CACHE_SIZE = 200;

/** A number per advisory map seen, so a new snapshot in force is a new cache key. */
const advisoryVersions = new WeakMap<AdvisoryIndex, number>();
let nextAdvisoryVersion = 1;
const versionOf = (index: AdvisoryIndex | undefined): number => {
  if (!index) return 0;
  let v = advisoryVersions.get(index);
  if (v === undefined) advisoryVersions.set(index, (v = nextAdvisoryVersion++));
  return v;
};

export class CompareService {
  private readonly cache = new Map<string, CompareResult>();

  constructor(
    private readonly deps: {
      repos: Repositories;
      advisories: () => Promise<AdvisoryIndex | undefined>;
      /** The advisory event that last changed a package's constraint (security fixes link to it). */
      advisoryEvent?: (packageName: string) => Promise<string | null>;
    },
  ) {}

  async compareByName(fromKey: string, toKey: string, options: CompareOptions = {}): Promise<CompareResult> {
    const [from, to] = await Promise.all([resolvePlatform(this.deps.repos, fromKey), resolvePlatform(this.deps.repos, toKey)]);
    return this.compare(from, to, options);
  }

  /**
   * The one place the admin pages learn a platform's security status (today: the Compare engine against the
   * advisories file), so a per-site exposure source can replace it without touching the pages.
   */
  async platformSecurity(platform: Platform, target: Platform | null): Promise<PlatformSecurity> {
    const result = await this.compare(platform, target ?? platform);
    const rows = result.packages.filter((p) => p.security);
    return {
      insecurePackages: rows.filter((p) => p.security!.currentInsecure).map((p) => p.name),
      fixesWaiting: target && target.id !== platform.id ? rows.filter((p) => p.security!.fixed).map((p) => p.name) : [],
    };
  }

  async compare(from: Platform, to: Platform, options: CompareOptions = {}): Promise<CompareResult> {
    const modules = [...new Set(options.siteModules ?? [])].sort();
    const advisories = await this.deps.advisories();
    const key = `${from.id}:${from.updatedAt.getTime()}>${to.id}:${to.updatedAt.getTime()}|${modules.join(',')}|${options.fileDiffs ? 1 : 0}|${versionOf(advisories)}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const result = await this.linkFixes(
      comparePlatforms(from, to, {
        ...(advisories ? { advisories } : {}),
        siteModules: modules,
        fileDiffs: options.fileDiffs ?? false,
      }),
    );
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, result);
    return result;
  }

  /** Security fixes name the advisory event that covered them (cached with the result: both change with the map). */
  private async linkFixes(result: CompareResult): Promise<CompareResult> {
    const lookup = this.deps.advisoryEvent;
    if (!lookup || !result.packages.some((p) => p.security?.fixed)) return result;
    const packages = await Promise.all(
      result.packages.map(async (p) => {
        if (!p.security?.fixed) return p;
        const eventId = await lookup(p.name);
        return eventId ? { ...p, security: { ...p.security, advisoryEventId: eventId } } : p;
      }),
    );
    return { ...result, packages };
  }
}
