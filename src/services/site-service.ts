import type { Actor } from '../domain/actor.js';
import { ValidationError } from '../domain/errors.js';
import { fieldProblem } from '../domain/field-limits.js';
import type { HostingDriver, Page, PageRequest, Repositories, SiteFilter } from '../domain/ports.js';
import { assertCanHostNewSite } from '../domain/rules.js';
import { SITE_NAME_PATTERN, type Site } from '../domain/site.js';
import { resolvePlatform, resolveSite } from './lookup.js';

export interface CreateSiteInput {
  name: string;
  platform: string;
  modules?: string[];
}

export class SiteService {
  constructor(private readonly deps: { repos: Repositories; driver?: HostingDriver }) {}

  /** Creates a site; refused on a locked or unbuilt platform. */
  async create(input: CreateSiteInput, _actor: Actor): Promise<Site> {
    const name = (input.name ?? '').trim().toLowerCase();
    // Length first: the site name becomes directory and archive names (tar refuses long ones mid-backup).
    const tooLong = fieldProblem('name', name, 'name');
    if (tooLong) throw new ValidationError('Invalid site.', [tooLong]);
    if (!SITE_NAME_PATTERN.test(name)) {
      throw new ValidationError('Invalid site.', ['name: a host name such as `community.example.org`']);
    }
    if (input.modules !== undefined && !(Array.isArray(input.modules) && input.modules.every((m) => typeof m === 'string'))) {
      throw new ValidationError('Invalid site.', ['modules: a list of module machine names']);
    }
    const platform = await resolvePlatform(this.deps.repos, input.platform ?? '');
    assertCanHostNewSite(platform);
    const site = await this.deps.repos.sites.create({ name, platformId: platform.id, modules: input.modules ?? [] });
    if (this.deps.driver?.installSite) {
      try {
        await this.deps.driver.installSite(site, platform, () => {});
      } catch (error) {
        // Never keep a record of a site whose files could not be made.
        await this.deps.repos.sites.delete(site.id);
        throw error;
      }
    }
    return site;
  }

  get(key: string): Promise<Site> {
    return resolveSite(this.deps.repos, key);
  }

  list(filter?: SiteFilter, page?: PageRequest): Promise<Page<Site>> {
    return this.deps.repos.sites.list(filter, page);
  }

  async update(key: string, patch: { status?: 'enabled' | 'disabled'; modules?: string[] }): Promise<Site> {
    const site = await this.get(key);
    if (patch.status !== undefined && patch.status !== 'enabled' && patch.status !== 'disabled') {
      throw new ValidationError('Invalid site.', ['status: enabled or disabled']);
    }
    // The repository refuses a migrating site atomically: no edit can land mid-migration.
    return this.deps.repos.sites.update(site.id, patch);
  }

  async delete(key: string): Promise<void> {
    // The repository refuses a migrating site atomically.
    await this.deps.repos.sites.delete((await this.get(key)).id);
  }
}
