import { describeActor, type Actor } from '../domain/actor.js';
import type { AuditSubject } from '../domain/audit.js';
import { ConflictError, RuleViolationError, ValidationError } from '../domain/errors.js';
import { ALL_ITEMS, type HostingDriver, type JobQueue, type Page, type PageRequest, type Repositories, type SiteFilter } from '../domain/ports.js';
import { fieldProblem } from '../domain/field-limits.js';
import { assertCanHostNewSite } from '../domain/rules.js';
import { LIVE_STATUSES, type Platform } from '../domain/platform.js';
import { SITE_NAME_PATTERN, type Site } from '../domain/site.js';
import { ACTIVE_TASK_STATES, type Task } from '../domain/task.js';
import { installJobKey, SITE_INSTALL_JOB, type SiteInstallJobData } from '../domain/jobs.js';
import { SYSTEM_ACTOR, type AuditLog } from './audit-log.js';
import type { HoldService } from './hold-service.js';
import { resolvePlatform, resolveSite } from './lookup.js';


export interface CreateSiteInput {
  name: string;
  platform: string;
  modules?: string[];
}

/** A new site, and the install task making its files (null when the hosting driver installs nothing). */
export interface SiteCreated {
  site: Site;
  task: Task | null;
}

export interface SiteServiceDeps {
  repos: Repositories;
  jobs: JobQueue;
  /** True when the hosting driver makes site files (installSite): creation then queues an install task. */
  installs: boolean;
  /**
   * Whether the platform's files are where the driver installs sites (local driver: its directory exists). A
   * platform registered by hand (POST /api/platforms) may have none; then creating a site is refused at once.
   */
  platformHasFiles?: (platform: Platform) => Promise<boolean>;
  audit: AuditLog;
  holds: HoldService;
  /** The hosting driver's read-only look at existing sites and code bases (adoption, import); never changes a site. */
  hostingReads?: HostingReads;
}

/** What adoption and import ask of the hosting driver: reads only. */
export type HostingReads = Pick<HostingDriver, 'findSite' | 'findSites' | 'platformRoot' | 'readRootManifest'>;

/** A site name as every surface gets it checked: trimmed, lower case, a host name within the field limits. */
export const checkedSiteName = (raw: string): string => {
  const name = (raw ?? '').trim().toLowerCase();
  // Length first: the site name becomes directory and archive names (tar refuses long ones mid-backup).
  const tooLong = fieldProblem('name', name, 'name');
  if (tooLong) throw new ValidationError('Invalid site.', [tooLong]);
  if (!SITE_NAME_PATTERN.test(name)) throw new ValidationError('Invalid site.', ['name: a host name such as `community.example.org`']);
  return name;
};

export const siteSubject = (s: Pick<Site, 'id' | 'name'>): AuditSubject => ({ kind: 'site', id: s.id, name: s.name });

export class SiteService {
  constructor(private readonly deps: SiteServiceDeps) {}

  /**
   * Creates a site; refused on a locked or unbuilt platform. When the driver installs sites, the site is
   * `installing` and a worker's install task makes its files (enabled when done; the record is removed if that fails).
   */
  async create(input: CreateSiteInput, actor: Actor): Promise<SiteCreated> {
    const name = checkedSiteName(input.name);
    if (input.modules !== undefined && !(Array.isArray(input.modules) && input.modules.every((m) => typeof m === 'string'))) {
      throw new ValidationError('Invalid site.', ['modules: a list of module machine names']);
    }
    const platform = await resolvePlatform(this.deps.repos, input.platform ?? '');
    assertCanHostNewSite(platform);
    if (this.deps.installs && this.deps.platformHasFiles && !(await this.deps.platformHasFiles(platform))) {
      // Without its files the install task could only fail; say so now, with what to do instead.
      throw new RuleViolationError(
        `Platform \`${platform.name}\` has no files on this server (it was registered by hand, not built here), so no site can be installed on it; add the site to a platform Distro built from the distribution's upstream.`,
      );
    }
    const lock = await this.deps.holds.get('platform', platform.id);
    if (lock) {
      throw new RuleViolationError(`Platform \`${platform.name}\` is locked by hand by ${describeActor(lock.by)}: ${lock.reason}. No new sites until it is unlocked.`);
    }
    const record = { name, platformId: platform.id, modules: input.modules ?? [] };
    const entry = (site: Site) => ({ actor, action: 'site.create' as const, subject: siteSubject(site), details: { platform: platform.name } });
    if (!this.deps.installs) return { site: await this.deps.audit.change(() => this.deps.repos.sites.create(record), entry), task: null };
    const site = await this.deps.repos.sites.create({ ...record, status: 'installing' });
    try {
      const task = await this.deps.repos.tasks.create({
        type: 'install',
        subject: { kind: 'site', id: site.id, name: site.name },
        toPlatformId: platform.id,
        requestedBy: actor,
      });
      await this.deps.jobs.enqueue<SiteInstallJobData>(SITE_INSTALL_JOB, { taskId: task.id }, { uniqueKey: installJobKey(task.id) });
      // After the record, task and job are written and before the 202: an acknowledged creation has its entry.
      await this.deps.audit.record(entry(site));
      return { site, task };
    } catch (error) {
      // Nothing will install it: never keep a record of a site whose files nobody makes.
      await this.deps.repos.sites.delete(site.id).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Registers a site that already exists on a platform, without installing or touching it. The hosting driver must
   * find it there first (local: its directory under the platform; command: `locateSite`); modules it lists are
   * recorded (else the ones given). Not found: refused with the driver's reason, nothing recorded. Any platform
   * the sites can live on takes them, locked or registered by hand included: they are there already.
   */
  async adopt(input: CreateSiteInput, actor: Actor): Promise<Site> {
    const name = checkedSiteName(input.name);
    if (input.modules !== undefined && !(Array.isArray(input.modules) && input.modules.every((m) => typeof m === 'string'))) {
      throw new ValidationError('Invalid site.', ['modules: a list of module machine names']);
    }
    const platform = await resolvePlatform(this.deps.repos, input.platform ?? '');
    if (!LIVE_STATUSES.includes(platform.status)) {
      throw new RuleViolationError(`Platform \`${platform.name}\` is ${platform.status}; sites can be adopted only on a built (ready or locked) platform.`);
    }
    const existing = await this.deps.repos.sites.getByName(name);
    if (existing) throw new ConflictError(`Site ${name} is already recorded${existing.platformId === platform.id ? ` on ${platform.name}` : ''}.`);
    const findSite = this.deps.hostingReads?.findSite?.bind(this.deps.hostingReads);
    if (!findSite) throw new RuleViolationError('This hosting driver cannot look for existing sites, so none can be adopted.');
    const found = await findSite({ name }, platform, () => undefined);
    if (!found.found) throw new RuleViolationError(`Site ${name} was not found on platform \`${platform.name}\`: ${found.reason}. Nothing was recorded.`);
    const modules = found.modules ?? input.modules ?? [];
    return this.deps.audit.change(
      () => this.deps.repos.sites.create({ name, platformId: platform.id, modules, status: 'enabled' }),
      (site) => ({ actor, action: 'site.adopt', subject: siteSubject(site), details: { platform: platform.name, modules: modules.length, modulesFrom: found.modules ? 'driver' : 'request' } }),
    );
  }

  get(key: string): Promise<Site> {
    return resolveSite(this.deps.repos, key);
  }

  list(filter?: SiteFilter, page?: PageRequest): Promise<Page<Site>> {
    return this.deps.repos.sites.list(filter, page);
  }

  async update(key: string, patch: { status?: 'enabled' | 'disabled'; modules?: string[] }, actor: Actor = SYSTEM_ACTOR): Promise<Site> {
    const site = await this.get(key);
    if (patch.status !== undefined && patch.status !== 'enabled' && patch.status !== 'disabled') {
      throw new ValidationError('Invalid site.', ['status: enabled or disabled']);
    }
    // Only the install task moves a site out of `installing`, and never back: checking first cannot race.
    if (site.status === 'installing') throw this.installing(site);
    // The repository refuses a migrating site atomically: no edit can land mid-migration.
    return this.deps.audit.change(
      () => this.deps.repos.sites.update(site.id, patch),
      (s) => ({
        actor,
        action: 'site.update',
        subject: siteSubject(s),
        details: { ...(patch.status ? { status: patch.status } : {}), ...(patch.modules ? { modules: patch.modules.length } : {}) },
      }),
    );
  }

  async delete(key: string, actor: Actor = SYSTEM_ACTOR): Promise<void> {
    const site = await this.get(key);
    // An installing site whose install task is gone (a crash between the two writes) may be removed.
    if (site.status === 'installing' && (await this.activeInstall(site)) !== null) throw this.installing(site);
    // The repository refuses a migrating site atomically.
    await this.deps.audit.change(
      () => this.deps.repos.sites.delete(site.id),
      () => ({ actor, action: 'site.delete', subject: siteSubject(site), details: {} }),
    );
    await this.deps.holds.forget('site', site.id);
  }

  private async activeInstall(site: Site): Promise<Task | null> {
    const active = await this.deps.repos.tasks.list({ subjectId: site.id, type: ['install'], state: [...ACTIVE_TASK_STATES] }, ALL_ITEMS);
    return active.items[0] ?? null;
  }

  private installing(site: Site): ConflictError {
    return new ConflictError(`Site ${site.name} is still being installed; try again when its install task has finished.`);
  }
}
