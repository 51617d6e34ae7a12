/**
 * Import a fleet: sites that already exist, listed by drush aliases or a CSV, recorded on the platforms whose code
 * they run — never installed, moved or touched. Each alias root maps to a platform: one whose directory is that
 * root, else a built platform whose manifest (composer.lock) is byte-identical to the root's (read through the
 * hosting driver), else the root's rows are refused with the reason. A dry run (the default) only previews; an
 * apply writes every creatable row in one transaction with one audit entry, and is idempotent.
 */
import type { Actor } from '../domain/actor.js';
import { ConflictError, DistroError } from '../domain/errors.js';
import { parseImport, versionInRoot, type ImportFormat, type ImportRow } from '../domain/fleet-import.js';
import type { Distribution } from '../domain/distribution.js';
import { ALL_ITEMS, type Repositories } from '../domain/ports.js';
import { LIVE_STATUSES, type Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';
import { crashPoint } from '../lib/crash-point.js';
import type { AuditLog } from './audit-log.js';
import { resolveDistribution } from './lookup.js';
import type { HostingReads } from './site-service.js';

export interface ImportRequest {
  format: ImportFormat;
  content: string;
  /** Match roots against this distribution's builds only (and name it in advice); default: every distribution. */
  distribution?: string;
  /** Write (default false: preview only). */
  apply?: boolean;
}

export type RowAction = 'create' | 'already there' | 'refused' | 'skipped';

export interface PreviewRow {
  line: number;
  label: string;
  site: string | null;
  platform: string | null;
  server: string | null;
  action: RowAction;
  reason?: string;
}

/** How one root (or platform name) of the file maps to a platform. */
export interface PlatformMatch {
  /** The root as the file gives it, or the platform name a CSV row names. */
  source: string;
  platform: string | null;
  by: 'root' | 'manifest' | 'name' | null;
  reason?: string;
  rows: number;
}

export interface ImportResult {
  format: ImportFormat;
  applied: boolean;
  counts: { rows: number; create: number; already: number; refused: number; skipped: number; created: number };
  platforms: PlatformMatch[];
  rows: PreviewRow[];
}

const normalizeManifest = (text: string): string => text.replace(/\r\n/g, '\n').trimEnd();

/** How many driver reads (manifests, site checks) run at once. */
const READ_CONCURRENCY = 8;

const mapLimited = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class ImportService {
  constructor(private readonly deps: { repos: Repositories; audit: AuditLog; hostingReads?: HostingReads }) {}

  async run(request: ImportRequest, actor: Actor): Promise<ImportResult> {
    const parsed = parseImport(request.format, request.content);
    const scope = request.distribution ? [await resolveDistribution(this.deps.repos, request.distribution)] : (await this.deps.repos.distributions.list(ALL_ITEMS)).items;
    const plan = await this.plan(parsed, scope);
    if (!request.apply) return { ...plan.result, format: request.format, applied: false };
    const created = await this.apply(plan.creates, plan.result, actor);
    return { ...plan.result, format: request.format, applied: true, counts: { ...plan.result.counts, created } };
  }

  private async plan(parsed: ImportRow[], scope: Distribution[]) {
    const scopeIds = new Set(scope.map((d) => d.id));
    const allPlatforms = (await this.deps.repos.platforms.list({}, ALL_ITEMS)).items;
    const candidates = allPlatforms.filter((p) => scopeIds.has(p.distributionId) && LIVE_STATUSES.includes(p.status));
    const byName = new Map(allPlatforms.map((p) => [p.name, p]));
    const reads = this.deps.hostingReads;
    const rootOf = (p: Platform): string | null => p.path ?? reads?.platformRoot?.(p) ?? null;
    const byRoot = new Map<string, Platform>();
    for (const p of allPlatforms) {
      const root = rootOf(p);
      if (root && LIVE_STATUSES.includes(p.status)) byRoot.set(root, p);
    }

    // One lookup per distinct root / platform name, not per row.
    const sources = new Map<string, PlatformMatch & { target: Platform | null }>();
    for (const row of parsed) {
      if (row.problem || row.skipped) continue;
      const key = row.root ?? `name:${row.platform}`;
      const known = sources.get(key);
      if (known) {
        known.rows++;
        continue;
      }
      sources.set(key, { source: row.root ?? row.platform!, platform: null, by: null, rows: 1, target: null });
    }
    const matchByManifest = await this.manifestIndex(candidates, scope);
    await mapLimited([...sources.entries()], READ_CONCURRENCY, async ([key, match]) => {
      if (key.startsWith('name:')) {
        const p = byName.get(match.source);
        if (!p) return void (match.reason = `no platform named ${match.source}`);
        if (!LIVE_STATUSES.includes(p.status)) return void (match.reason = `platform ${p.name} is ${p.status}`);
        return void Object.assign(match, { platform: p.name, by: 'name', target: p });
      }
      const same = byRoot.get(match.source);
      if (same) return void Object.assign(match, { platform: same.name, by: 'root', target: same });
      const found = await this.readRoot(match.source, matchByManifest);
      if ('platform' in found) return void Object.assign(match, { platform: found.platform.name, by: 'manifest', target: found.platform });
      match.reason = found.reason;
    });
    const adviceFor = (root: string): string => {
      const slug = scope.length === 1 ? scope[0]!.slug : scope.map((d) => d.slug).join(' or ') || 'any distribution';
      const version = versionInRoot(root);
      return `no build of ${slug} matches ${root}: build ${version ?? 'that release'} first`;
    };
    for (const [key, m] of sources) if (!m.target && !m.reason) m.reason = key.startsWith('name:') ? `no platform named ${m.source}` : adviceFor(m.source);
    for (const [key, m] of sources) if (!m.target && m.reason === 'no-match') m.reason = adviceFor(key);

    // Rows: duplicates, sites already recorded, then (create) the site seen by the driver where the file says.
    const rows: PreviewRow[] = [];
    const firstLine = new Map<string, { line: number; key: string }>();
    const conflicting = new Set<string>();
    for (const row of parsed) {
      if (!row.site || row.problem || row.skipped) continue;
      const key = row.root ?? `name:${row.platform}`;
      const first = firstLine.get(row.site);
      if (!first) firstLine.set(row.site, { line: row.line, key });
      else if (first.key !== key && sources.get(first.key)?.target?.id !== sources.get(key)?.target?.id) conflicting.add(row.site);
    }
    const existing = await this.existingSites([...firstLine.keys()]);
    const creates: Array<{ preview: PreviewRow; row: ImportRow; platform: Platform }> = [];
    for (const row of parsed) {
      const base = { line: row.line, label: row.label, site: row.site, platform: null, server: row.server };
      if (row.skipped) {
        rows.push({ ...base, action: 'skipped', reason: row.skipped });
        continue;
      }
      if (row.problem || !row.site) {
        rows.push({ ...base, action: 'refused', reason: row.problem ?? 'no site' });
        continue;
      }
      const match = sources.get(row.root ?? `name:${row.platform}`)!;
      const preview: PreviewRow = { ...base, platform: match.platform, action: 'refused' };
      if (conflicting.has(row.site)) {
        rows.push({ ...preview, action: 'refused', reason: `${row.site} is listed more than once with different platforms (first on line ${firstLine.get(row.site)!.line})` });
        continue;
      }
      if (firstLine.get(row.site)!.line !== row.line) {
        rows.push({ ...preview, action: 'skipped', reason: `the same site as line ${firstLine.get(row.site)!.line}` });
        continue;
      }
      if (!match.target) {
        rows.push({ ...preview, action: 'refused', reason: match.reason ?? 'no platform' });
        continue;
      }
      const recorded = existing.get(row.site);
      if (recorded) {
        if (recorded.platformId === match.target.id) rows.push({ ...preview, action: 'already there' });
        else {
          const on = allPlatforms.find((p) => p.id === recorded.platformId)?.name ?? recorded.platformId;
          rows.push({ ...preview, action: 'refused', reason: `${row.site} is already recorded on ${on}; an import never moves a site (upgrade it instead)` });
        }
        continue;
      }
      rows.push(preview);
      creates.push({ preview, row, platform: match.target });
    }
    // The site must be where the file says, as the driver sees it (read only); its enabled modules come with it.
    const modules = new Map<ImportRow, string[]>();
    const byBase = new Map<string, typeof creates>();
    for (const c of creates) {
      const key = `${c.platform.id}\u0000${c.row.root ?? ''}`;
      const group = byBase.get(key);
      if (group) group.push(c);
      else byBase.set(key, [c]);
    }
    // One look per code base when the driver can (a directory listing), else one per site.
    await mapLimited([...byBase.values()], READ_CONCURRENCY, async (group) => {
      const found = await this.findSites(group.map((c) => c.row), group[0]!.platform);
      for (const c of group) {
        const f = found.get(c.row.site!) ?? { found: false as const, reason: 'not looked at' };
        if (f.found) {
          c.preview.action = 'create';
          modules.set(c.row, f.modules ?? []);
        } else Object.assign(c.preview, { action: 'refused', reason: f.reason });
      }
    });
    const creatable = creates.filter((c) => c.preview.action === 'create').map((c) => ({ name: c.row.site!, platformId: c.platform.id, modules: modules.get(c.row) ?? [] }));
    const count = (a: RowAction) => rows.filter((r) => r.action === a).length;
    const result: Omit<ImportResult, 'format' | 'applied'> & { format: ImportFormat; applied: boolean } = {
      format: 'drush-json',
      applied: false,
      counts: { rows: rows.length, create: count('create'), already: count('already there'), refused: count('refused'), skipped: count('skipped'), created: 0 },
      platforms: [...sources.values()].map(({ target: _target, ...m }) => m),
      rows,
    };
    return { result, creates: creatable };
  }

  /** Sites of these names already recorded. */
  private async existingSites(names: string[]): Promise<Map<string, Site>> {
    const out = new Map<string, Site>();
    const wanted = new Set(names);
    for (let offset = 0; ; offset += ALL_ITEMS.limit) {
      const page = await this.deps.repos.sites.list({}, { limit: ALL_ITEMS.limit, offset });
      for (const s of page.items) if (wanted.has(s.name)) out.set(s.name, s);
      if (page.items.length < ALL_ITEMS.limit) break;
    }
    return out;
  }

  /** Normalized manifest content → the platform built from it (the target, else the newest ready one). */
  private async manifestIndex(candidates: Platform[], scope: Distribution[]) {
    const paths = new Map(scope.map((d) => [d.id, d.upstream?.manifestPath ?? 'composer.lock']));
    const targets = new Set(scope.map((d) => d.targetPlatformId));
    const index = new Map<string, Map<string, Platform>>();
    for (const p of candidates) {
      const path = paths.get(p.distributionId) ?? 'composer.lock';
      const content = p.manifest.files[path];
      if (content === undefined) continue;
      const forPath = index.get(path) ?? new Map<string, Platform>();
      index.set(path, forPath);
      const key = normalizeManifest(content);
      const seen = forPath.get(key);
      if (!seen || targets.has(p.id) || (!targets.has(seen.id) && p.createdAt > seen.createdAt)) forPath.set(key, p);
    }
    return index;
  }

  private async readRoot(root: string, index: Map<string, Map<string, Platform>>): Promise<{ platform: Platform } | { reason: string }> {
    const read = this.deps.hostingReads?.readRootManifest?.bind(this.deps.hostingReads);
    if (!read) return { reason: 'this hosting driver cannot read a code base, so roots can only match a platform registered with that path' };
    let missing = 0;
    for (const [path, byContent] of index) {
      let content: string | null;
      try {
        content = await read(root, path, () => undefined);
      } catch (error) {
        if (!(error instanceof DistroError)) throw error;
        return { reason: `cannot read ${root}: ${errorText(error)}` };
      }
      if (content === null) {
        missing++;
        continue;
      }
      const platform = byContent.get(normalizeManifest(content));
      if (platform) return { platform };
    }
    if (missing && missing === index.size) return { reason: `${root} has no ${[...index.keys()].join(' or ')}` };
    return { reason: 'no-match' };
  }

  private async findSites(rows: ImportRow[], platform: Platform): Promise<Map<string, { found: true; modules: string[] | null } | { found: false; reason: string }>> {
    const reads = this.deps.hostingReads;
    const root = rows[0]!.root ?? undefined;
    if (reads?.findSites) {
      try {
        const found = await reads.findSites(rows.map((r) => r.site!), platform, () => undefined, root);
        for (const [name, f] of found) if (!f.found) found.set(name, { found: false, reason: `not found: ${f.reason}` });
        return found;
      } catch (error) {
        if (!(error instanceof DistroError)) throw error;
        return new Map(rows.map((r) => [r.site!, { found: false as const, reason: errorText(error) }]));
      }
    }
    const out = new Map<string, { found: true; modules: string[] | null } | { found: false; reason: string }>();
    await mapLimited(rows, READ_CONCURRENCY, async (row) => void out.set(row.site!, await this.findSite(row, platform)));
    return out;
  }

  private async findSite(row: ImportRow, platform: Platform): Promise<{ found: true; modules: string[] | null } | { found: false; reason: string }> {
    const find = this.deps.hostingReads?.findSite?.bind(this.deps.hostingReads);
    if (!find) return { found: false, reason: 'this hosting driver cannot look for existing sites' };
    try {
      const found = await find({ name: row.site! }, platform, () => undefined, row.root ?? undefined);
      return found.found ? found : { found: false, reason: `not found: ${found.reason}` };
    } catch (error) {
      if (!(error instanceof DistroError)) throw error;
      return { found: false, reason: errorText(error) };
    }
  }

  /**
   * Removes the sites a failed apply wrote (nothing to do on SQLite, whose transaction rolled back): those of its
   * names on its platforms created since it started (a site someone else recorded meanwhile is on its own terms).
   */
  private async undo(creates: Array<{ name: string; platformId: string }>, started: Date): Promise<void> {
    const planned = new Map(creates.map((c) => [c.name, c.platformId]));
    const found = await this.existingSites([...planned.keys()]);
    for (const site of found.values()) {
      if (site.platformId !== planned.get(site.name) || site.createdAt < started || site.history.length !== 1) continue;
      await this.deps.repos.sites.delete(site.id).catch(() => undefined);
    }
  }

  /**
   * Every creatable row in one transaction with its one audit entry (SQLite: all committed or none, at any kill
   * instant). A site created meanwhile by someone else aborts the whole apply (409: preview again).
   */
  private async apply(creates: Array<{ name: string; platformId: string; modules: string[] }>, result: Omit<ImportResult, 'format' | 'applied'>, actor: Actor): Promise<number> {
    if (!creates.length) return 0;
    const { repos } = this.deps;
    const started = new Date();
    try {
      await repos.transaction(async () => {
        const rows = creates.map((c) => ({ name: c.name, platformId: c.platformId, modules: c.modules, status: 'enabled' as const }));
        const half = Math.floor(rows.length / 2);
        if (repos.sites.createMany) {
          // Two halves, so the crash suite can cut the apply between them.
          await repos.sites.createMany(rows.slice(0, half));
          crashPoint('import.apply.half');
          await repos.sites.createMany(rows.slice(half));
        } else {
          for (const [i, row] of rows.entries()) {
            await repos.sites.create(row);
            if (i === half) crashPoint('import.apply.half');
          }
        }
        await this.deps.audit.record({
          actor,
          action: 'fleet.import',
          subject: { kind: 'fleet', id: `import-${Date.now()}`, name: `import of ${creates.length} sites` },
          details: { created: creates.length, already: result.counts.already, refused: result.counts.refused, skipped: result.counts.skipped, platforms: result.platforms.filter((p) => p.platform).length },
        });
      });
    } catch (error) {
      // Without multi-document transactions (MongoDB standalone) undo what this apply wrote, so an error leaves nothing.
      await this.undo(creates, started);
      if (error instanceof ConflictError) throw new ConflictError(`${error.message} Sites changed while importing; nothing was imported. Preview again.`);
      throw error;
    }
    return creates.length;
  }
}

