/**
 * Hosting on the local disk, for the embedded setup, demos and tests: platforms are real git checkouts under
 * `<root>/platforms/<platform>`, sites are directories `<root>/platforms/<platform>/sites/<site>/`
 * (settings.php, files/, site.json), backups are tar archives under `<root>/backups`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Distribution } from '../domain/distribution.js';
import { HostingError, ValidationError } from '../domain/errors.js';
import { parseDrushModuleList } from '../domain/drush-modules.js';
import type { BuildResult, FoundSite, HostingDriver, LogFn, SiteLocation, StepProgress } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import { SITE_NAME_PATTERN, type Site } from '../domain/site.js';
import { crashPoint } from '../lib/crash-point.js';
import { durableRename } from '../lib/durable-rename.js';
import { fsyncPath, fsyncTree } from '../lib/fsync-path.js';
import { treeDigest } from '../lib/tree-digest.js';
import { UpstreamGuard } from '../upstream/upstream-guard.js';
import { confinedPath, isSymlink, readConfinedFile } from './confined-fs.js';
import { GitCheckouts, upstreamCloneUrl, upstreamUrlSource } from './git-checkout.js';
import { addTrackedTree, type TreeLimits } from './git-tree.js';
import { readManifestFromGit } from './manifest-files.js';
import { pathExists } from './paths.js';
import { runProcess, runShell } from './run-command.js';
import { redactUrl } from '../lib/redact.js';

export interface LocalDriverOptions {
  /** Data directory (config dataDir). */
  root: string;
  /** Shell commands run in the site directory after a move (env SITE, SITE_PATH, PLATFORM, PLATFORM_PATH). */
  postMigrate?: string[];
  /** Base URL for `github` upstreams (GitHub Enterprise, or a local stand-in in tests). */
  githubBaseUrl?: string;
  /** Bounds on the file tree and contents recorded for Compare. */
  treeLimits?: TreeLimits;
  /** ALLOW_LOCAL_UPSTREAMS: file://, local paths, http:// and loopback/private hosts may be cloned. */
  allowLocalUpstreams?: boolean;
  /** GIT_TIMEOUT_SECONDS in ms: how long an upstream may stay silent during a clone or fetch. */
  gitTimeoutMs?: number;
}

/** What the driver keeps about a site inside its directory. */
export interface SiteFile {
  name: string;
  /** Platform the site was installed on or last post-migrated on. */
  platform: string;
  installedAt: string;
}

const SITE_FILE = 'site.json';
/** Beside an adopted site: its enabled modules as `drush pm:list --status=enabled --format=json` prints them (optional). */
const MODULES_FILE = 'modules.json';
const MAX_SITE_FILE_BYTES = 64 * 1024;
/** Writes never follow a symbolic link at the file itself (directories are checked by confinedPath). */
const WRITE_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
const MAINTENANCE_FLAG = '.maintenance';
/** Platform names become directory names: no separators, no dot-dot. */
const PLATFORM_DIR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** What follows `<site>-` in the name of a cut-off backup (stamp and suffix as `backup` makes them). */
const PARTIAL_BACKUP_TAIL = /^\d{8}T\d{9}Z-[0-9a-f]{8}\.tar\.gz\.partial$/;

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException | null)?.code === code;

/**
 * A small file's text, or null when it does not exist; never through a link at the file, only a single-link regular
 * file. Synchronous on purpose: an import reads thousands of these, and four direct system calls each cost far less
 * than four thread-pool round trips (callers yield between batches).
 */
const readSmallFileSync = (path: string, maxBytes: number): string | null => {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    if (isErrno(e, 'ELOOP')) throw new HostingError(`${path} is a symbolic link; it is not followed.`);
    throw e;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.nlink > 1 || info.size > maxBytes) throw new HostingError(`${path} is not a single-link regular file under ${maxBytes} bytes; it is not read.`);
    const buffer = Buffer.alloc(info.size);
    const n = readSync(fd, buffer, 0, info.size, 0);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
};

/** Files read between two turns of the event loop (a few ms of work). */
const SYNC_READ_BATCH = 200;

const suffix = () => randomBytes(4).toString('hex');

export class LocalDriver implements HostingDriver {
  readonly name = 'local';
  readonly root: string;
  private readonly git: GitCheckouts;

  constructor(private readonly options: LocalDriverOptions) {
    this.root = resolve(options.root);
    this.git = new GitCheckouts(join(this.root, 'git-cache'), new UpstreamGuard({ allowLocal: options.allowLocalUpstreams ?? false }), options.gitTimeoutMs);
  }

  platformPath(platform: Pick<Platform, 'name'>): string {
    if (!PLATFORM_DIR_PATTERN.test(platform.name) || platform.name.includes('..')) {
      throw new ValidationError(`Platform name \`${platform.name}\` cannot be used as a directory name.`);
    }
    return join(this.root, 'platforms', platform.name);
  }

  sitePath(site: Pick<Site, 'name'>, platform: Pick<Platform, 'name'>): string {
    // The name is validated on creation too; checked again because it becomes a path.
    if (!SITE_NAME_PATTERN.test(site.name)) throw new ValidationError(`Site name \`${site.name}\` is not a valid site name.`);
    return join(this.platformPath(platform), 'sites', site.name);
  }

  /**
   * The site's directory, once checked to lie inside its platform's directory with links resolved: the checkout
   * is the upstream's, which may have made `sites` (or `sites/<site>`) a link to anywhere.
   */
  private async siteDir(site: Pick<Site, 'name'>, platform: Pick<Platform, 'name'>): Promise<string> {
    return confinedPath(this.platformPath(platform), this.sitePath(site, platform));
  }

  /** Writes a file inside a platform's directory, never through a link. */
  private async writeInside(platform: Pick<Platform, 'name'>, path: string, data: string): Promise<void> {
    await writeFile(await confinedPath(this.platformPath(platform), path), data, { flag: WRITE_NO_FOLLOW });
  }

  private get backupDir(): string {
    return join(this.root, 'backups');
  }

  async buildPlatform(platform: Platform, distribution: Distribution, log: LogFn): Promise<BuildResult> {
    const upstream = distribution.upstream;
    if (!upstream) throw new ValidationError(`Distribution \`${distribution.slug}\` has no upstream to build \`${platform.name}\` from.`);
    const dir = this.platformPath(platform);
    const url = upstreamCloneUrl(upstream, this.options.githubBaseUrl);
    log(`Building ${platform.name} from ${redactUrl(url)} at ${platform.source.commit.slice(0, 12)} (${platform.source.ref})`);
    try {
      await this.git.checkout(url, platform.source.commit, dir, log, ['/sites/'], upstreamUrlSource(upstream));
      await mkdir(await confinedPath(dir, join(dir, 'sites')), { recursive: true });
      const parsed = await readManifestFromGit(dir, platform.source.commit, upstream.manifestPath, log);
      log(`Manifest: ${parsed.format}, ${parsed.packages.length} packages, ${Object.keys(parsed.files).length} files`);
      const manifest = await addTrackedTree(parsed, dir, platform.source.commit, log, this.options.treeLimits);
      return { path: dir, manifest };
    } catch (error) {
      await this.removeFailedCheckout(dir, log);
      throw error;
    }
  }

  /** A failed build leaves no half checkout behind, unless sites already live there (never delete a site). */
  private async removeFailedCheckout(dir: string, log: LogFn): Promise<void> {
    // A `sites` link (refused above) holds no sites of this platform.
    const sites = (await isSymlink(join(dir, 'sites'))) ? [] : await readdir(join(dir, 'sites')).catch(() => [] as string[]);
    if (sites.length) return log(`Kept ${dir}: it holds sites`, 'warn');
    await rm(dir, { recursive: true, force: true });
    log(`Removed the incomplete checkout ${dir}`, 'warn');
  }

  async installSite(site: Site, platform: Platform, log: LogFn): Promise<void> {
    const dir = await this.siteDir(site, platform);
    if (await pathExists(dir)) {
      const current = await this.readSiteFile(platform, dir).catch(() => null);
      if (current?.name === site.name) return log(`Site ${site.name} already installed on ${platform.name}`);
      throw new HostingError(`${dir} exists but is not the site ${site.name}.`);
    }
    if (!(await pathExists(this.platformPath(platform)))) throw new HostingError(`Platform ${platform.name} is not built on this host.`);
    // A worker killed mid-install leaves its half-built copy; the task's lease makes us its only installer now.
    const stale = `.installing-${site.name}-`;
    for (const entry of await readdir(dirname(dir)).catch(() => [] as string[])) {
      // Exactly `<prefix><8 hex>`: another site's name may start with this one's plus a hyphen.
      if (entry.startsWith(stale) && /^[0-9a-f]{8}$/.test(entry.slice(stale.length))) await rm(await confinedPath(this.platformPath(platform), join(dirname(dir), entry)), { recursive: true, force: true });
    }
    // Built next to its final place and renamed in, so a crash never leaves half a site.
    const tmp = await confinedPath(this.platformPath(platform), join(dirname(dir), `.installing-${site.name}-${suffix()}`));
    await mkdir(join(tmp, 'files'), { recursive: true });
    await this.writeInside(
      platform,
      join(tmp, 'settings.php'),
      `<?php\n// Settings for ${site.name}, installed by Distro.\n$settings['hash_salt'] = '${randomBytes(16).toString('hex')}';\n$settings['file_public_path'] = 'sites/${site.name}/files';\n`,
    );
    await this.writeSiteFile(platform, tmp, { name: site.name, platform: platform.name, installedAt: new Date().toISOString() });
    await fsyncTree(tmp);
    crashPoint('install:built');
    await durableRename(tmp, dir);
    log(`Installed ${site.name} on ${platform.name}`);
  }

  async maintenanceOn(site: Site, platform: Platform, log: LogFn): Promise<void> {
    const dir = await this.requireSite(site, platform);
    await this.writeInside(platform, join(dir, MAINTENANCE_FLAG), `Maintenance since ${new Date().toISOString()}\n`);
    log(`Maintenance mode on for ${site.name}`);
  }

  async maintenanceOff(site: Site, platform: Platform, log: LogFn): Promise<void> {
    const dir = await this.requireSite(site, platform);
    await rm(join(dir, MAINTENANCE_FLAG), { force: true });
    log(`Maintenance mode off for ${site.name}`);
  }

  async backup(site: Site, platform: Platform, log: LogFn): Promise<string> {
    const dir = await this.requireSite(site, platform);
    await mkdir(this.backupDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    const file = join(this.backupDir, `${site.name}-${stamp}-${suffix()}.tar.gz`);
    // Written under a temporary name so a backup path recorded in a checkpoint is always a complete archive.
    const tmp = `${file}.partial`;
    await this.removePartialBackups(site.name);
    await runProcess('tar', ['-czf', tmp, '-C', dirname(dir), site.name], { log });
    // Synced before it gets its final name, and the name synced before the path is returned to be recorded.
    await fsyncPath(tmp);
    crashPoint('backup:tar-written');
    await durableRename(tmp, file);
    log(`Backed up ${site.name} to ${file}`);
    return file;
  }

  /**
   * One rename of the site directory, synced on both sides: at every instant the site is whole on exactly one
   * platform. Idempotent: a site already on `to` (a repeated call after a crash) is left there.
   */
  async moveSite(site: Site, from: Platform, to: Platform, log: LogFn): Promise<void> {
    const src = await this.siteDir(site, from);
    const dst = await this.siteDir(site, to);
    const where = await this.locateSite(site, from, to);
    if (where === 'to') return log(`${site.name} is already on ${to.name}`);
    if (where === 'missing') throw new HostingError(`Site ${site.name} is on neither ${from.name} nor ${to.name}.`);
    if (where === 'both') throw new HostingError(`${to.name} already has a directory for ${site.name}; refusing to overwrite it.`);
    if (!(await pathExists(this.platformPath(to)))) throw new HostingError(`Target platform ${to.name} is not built on this host.`);
    await mkdir(dirname(dst), { recursive: true });
    try {
      await rename(src, dst);
    } catch (e) {
      // A copy would put the site on two platforms at once for a while; the local driver keeps platforms on one disk.
      if (isErrno(e, 'EXDEV')) throw new HostingError(`${from.name} and ${to.name} are on different file systems; the local driver moves sites only by rename.`);
      throw e;
    }
    crashPoint('moveSite:renamed');
    await fsyncPath(dirname(dst));
    await fsyncPath(dirname(src));
    log(`Moved ${site.name} from ${from.name} to ${to.name}`);
  }

  async locateSite(site: Site, from: Platform, to: Platform): Promise<SiteLocation> {
    const [onFrom, onTo] = await Promise.all([this.siteDir(site, from).then(pathExists), this.siteDir(site, to).then(pathExists)]);
    return onFrom && onTo ? 'both' : onFrom ? 'from' : onTo ? 'to' : 'missing';
  }

  async siteDigest(site: Site, platform: Platform): Promise<string | null> {
    return treeDigest(await this.requireSite(site, platform), [MAINTENANCE_FLAG]);
  }

  async postMigrate(site: Site, to: Platform, log: LogFn, progress?: StepProgress): Promise<void> {
    const dir = await this.requireSite(site, to);
    const env = { SITE: site.name, SITE_PATH: dir, PLATFORM: to.name, PLATFORM_PATH: this.platformPath(to) };
    for (const [i, command] of (this.options.postMigrate ?? []).entries()) {
      // Keyed by position and text, so a changed command list after a restart runs the changed commands.
      const key = `postMigrate:${i}:${createHash('sha256').update(command).digest('hex').slice(0, 12)}`;
      if (progress?.done(key)) {
        log(`$ ${command} — completed before the restart; not run again`);
        continue;
      }
      log(`$ ${command}`);
      await runShell(command, { cwd: dir, env, log });
      await progress?.completed(key);
    }
    const info = await this.readSiteFile(to, dir);
    await this.writeSiteFile(to, dir, { ...info, platform: to.name });
  }

  async verify(site: Site, platform: Platform, log: LogFn): Promise<void> {
    const dir = await this.requireSite(site, platform);
    if (!(await pathExists(join(dir, 'settings.php')))) throw new HostingError(`${site.name} has no settings.php on ${platform.name}.`);
    const info = await this.readSiteFile(platform, dir);
    if (info.name !== site.name) throw new HostingError(`site.json on ${platform.name} names ${info.name}, not ${site.name}.`);
    if (info.platform !== platform.name) {
      throw new HostingError(`${site.name} was not post-migrated on ${platform.name} (site.json says ${info.platform}).`);
    }
    log(`Verified ${site.name} on ${platform.name}`);
  }

  async restore(site: Site, from: Platform, to: Platform, backupRef: string, log: LogFn): Promise<void> {
    const archive = resolve(backupRef);
    if (!archive.startsWith(this.backupDir + sep)) {
      throw new HostingError(`Backup ${backupRef} is not in ${this.backupDir}.`);
    }
    if (!(await pathExists(archive))) throw new HostingError(`Backup ${backupRef} does not exist; cannot restore ${site.name}.`);
    const src = await this.siteDir(site, from);
    const dst = await this.siteDir(site, to);
    await this.removeLeftovers(dirname(dst), site.name);
    await mkdir(dirname(src), { recursive: true });
    await this.removeLeftovers(dirname(src), site.name);
    // Extracted aside and synced first; then any copy on either platform is renamed out of the way and the
    // backup renamed in. A crash in between leaves the site whole on a platform, or only in the backup (restore again).
    const tmp = join(dirname(src), `.restore-${site.name}-${suffix()}`);
    await mkdir(tmp);
    await runProcess('tar', ['-xzf', archive, '-C', tmp], { log });
    if (!(await pathExists(join(tmp, site.name)))) throw new HostingError(`Backup ${backupRef} does not contain ${site.name}.`);
    await fsyncTree(tmp);
    crashPoint('restore:extracted');
    for (const [dir, platform] of [[dst, to], [src, from]] as const) {
      if (!(await pathExists(dir))) continue;
      await durableRename(dir, join(dirname(dir), `.restore-${site.name}-${suffix()}`));
      log(`Set aside the copy of ${site.name} on ${platform.name}`);
    }
    crashPoint('restore:set-aside');
    await durableRename(join(tmp, site.name), src);
    await this.removeLeftovers(dirname(dst), site.name);
    await this.removeLeftovers(dirname(src), site.name);
    log(`Restored ${site.name} on ${from.name} from ${archive}`);
  }

  async removeBackup(backupRef: string, log: LogFn): Promise<void> {
    const archive = resolve(backupRef);
    if (!archive.startsWith(this.backupDir + sep)) throw new HostingError(`Backup ${backupRef} is not in ${this.backupDir}.`);
    await rm(archive, { force: true });
    await fsyncPath(this.backupDir).catch(() => undefined);
    log(`Removed the backup ${archive}`);
  }

  /** Archives of a backup that was cut off (never recorded: a recorded backup has its final name). */
  private async removePartialBackups(siteName: string): Promise<void> {
    const entries = await readdir(this.backupDir).catch(() => [] as string[]);
    const partial = entries.filter((e) => e.startsWith(`${siteName}-`) && PARTIAL_BACKUP_TAIL.test(e.slice(siteName.length + 1)));
    await Promise.all(partial.map((e) => rm(join(this.backupDir, e), { force: true })));
  }

  /** Temporary directories of an interrupted move, install or restore of this site. */
  private async removeLeftovers(sitesDir: string, siteName: string): Promise<void> {
    const entries = await readdir(sitesDir).catch(() => [] as string[]);
    const prefixes = ['.moving-', '.restore-', '.installing-'].map((p) => `${p}${siteName}-`);
    await Promise.all(
      entries
        .filter((e) => prefixes.some((p) => e.startsWith(p) && /^[0-9a-f]{8}$/.test(e.slice(p.length))))
        .map((e) => rm(join(sitesDir, e), { recursive: true, force: true })),
    );
  }

  platformRoot(platform: Platform): string {
    return this.platformPath(platform);
  }

  /** Adoption: the site's directory under the platform's (links resolved inside it), and its modules.json if any. */
  async findSite(site: Pick<Site, 'name'>, platform: Platform, log: LogFn, root?: string): Promise<FoundSite> {
    if (!SITE_NAME_PATTERN.test(site.name)) throw new ValidationError(`Site name \`${site.name}\` is not a valid site name.`);
    const base = root ? await confinedPath(join(this.root, 'platforms'), root) : this.platformPath(platform);
    const dir = await confinedPath(base, join(base, 'sites', site.name));
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) return { found: false, reason: `there is no directory ${dir}` };
    const text = await readConfinedFile(base, join(dir, MODULES_FILE), 4 * 1024 * 1024).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    });
    if (text === null) {
      log(`Found ${dir}; no ${MODULES_FILE} beside it, so its modules are not known`);
      return { found: true, modules: null };
    }
    return { found: true, modules: parseDrushModuleList(join(dir, MODULES_FILE), text) };
  }

  /**
   * findSite for a whole code base at once (import): the root is confined once, `sites/` listed once (entries
   * that are links are not sites), and each modules.json opened without following a link at the file, as a
   * single-link regular file within the size limit.
   */
  async findSites(names: readonly string[], platform: Platform, log: LogFn, root?: string): Promise<Map<string, FoundSite>> {
    const base = root ? await confinedPath(join(this.root, 'platforms'), root) : this.platformPath(platform);
    const sitesDir = await confinedPath(base, join(base, 'sites'));
    const entries = await readdir(sitesDir, { withFileTypes: true }).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return [];
      throw e;
    });
    const dirs = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
    const out = new Map<string, FoundSite>();
    const queue = names.filter((n) => {
      if (SITE_NAME_PATTERN.test(n) && dirs.has(n)) return true;
      out.set(n, { found: false, reason: `there is no directory ${join(sitesDir, n)}` });
      return false;
    });
    const parsed = new Map<string, string[]>();
    for (const [i, name] of queue.entries()) {
      if (i > 0 && i % SYNC_READ_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const file = join(sitesDir, name, MODULES_FILE);
      const text = readSmallFileSync(file, 4 * 1024 * 1024);
      // Sites of one code base often share their module list: parse each distinct text once.
      let modules = text === null ? null : parsed.get(text);
      if (text !== null && modules === undefined) parsed.set(text, (modules = parseDrushModuleList(file, text)));
      out.set(name, { found: true, modules: modules ?? null });
    }
    log(`Looked for ${names.length} sites in ${sitesDir}`);
    return out;
  }

  /** Import: roots must lie under `<DATA_DIR>/platforms` (links resolved); the manifest is read as a single-link regular file. */
  async readRootManifest(root: string, manifestPath: string): Promise<string | null> {
    const platforms = join(this.root, 'platforms');
    try {
      return await readConfinedFile(platforms, join(await confinedPath(platforms, root), manifestPath), 16 * 1024 * 1024);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return null;
      throw e;
    }
  }

  private async requireSite(site: Site, platform: Platform): Promise<string> {
    const dir = await this.siteDir(site, platform);
    if (!(await pathExists(dir))) throw new HostingError(`Site ${site.name} has no directory on ${platform.name} (${dir}).`);
    return dir;
  }

  private async readSiteFile(platform: Pick<Platform, 'name'>, dir: string): Promise<SiteFile> {
    try {
      const parsed = JSON.parse(await readConfinedFile(this.platformPath(platform), join(dir, SITE_FILE), MAX_SITE_FILE_BYTES)) as Partial<SiteFile>;
      if (typeof parsed.name !== 'string' || typeof parsed.platform !== 'string') throw new Error('missing name or platform');
      return { name: parsed.name, platform: parsed.platform, installedAt: String(parsed.installedAt ?? '') };
    } catch (e) {
      throw new HostingError(`Cannot read ${join(dir, SITE_FILE)}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async writeSiteFile(platform: Pick<Platform, 'name'>, dir: string, info: SiteFile): Promise<void> {
    await this.writeInside(platform, join(dir, SITE_FILE), JSON.stringify(info, null, 2) + '\n');
  }
}
