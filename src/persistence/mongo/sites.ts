/** SiteRepository on MongoDB: migrations begin and complete as compare-and-set updates on the site document. */
import type { Site } from '../../domain/site.js';
import type { PageRequest, SiteFilter, SiteRepository } from '../../domain/ports.js';
import { conflicts, newSiteRecord, notFound, pickPatch, SITE_PATCH_KEYS } from '../records.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import { Collection, type Filter } from './collection.js';
import { toObjectId, type DistroModels } from './models.js';

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class MongoSites implements SiteRepository {
  private readonly c: Collection<Site>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.sites, 'site');
  }
  async create(input: Parameters<SiteRepository['create']>[0]) {
    return this.c.insert(newSiteRecord(input, new Date()), () => conflicts.siteName(input.name));
  }
  /** One ordered insertMany: stops at the first duplicate name (the caller undoes what went in; see ImportService). */
  async createMany(inputs: Parameters<SiteRepository['create']>[0][]) {
    const now = new Date();
    try {
      await this.c.model.insertMany(inputs.map((input) => newSiteRecord(input, now)), { ordered: true });
    } catch (e) {
      const name = (e as { writeErrors?: Array<{ err?: { op?: { name?: string } } }> }).writeErrors?.[0]?.err?.op?.name;
      if (isDuplicateKey(e)) throw conflicts.siteName(name ?? 'one of the sites');
      throw e;
    }
    return inputs.length;
  }
  get(id: string) {
    return this.c.get(id);
  }
  getByName(name: string) {
    return this.c.findOne({ name });
  }
  getMany(ids: string[]) {
    return this.c.getMany(ids);
  }
  list(filter: SiteFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.platformIds) f.platformId = { $in: filter.platformIds };
    if (filter.status) f.status = { $in: filter.status };
    if (filter.nameContains !== undefined) f.name = { $regex: escapeRegExp(filter.nameContains), $options: 'i' };
    return this.c.find(f, { name: 1 }, page);
  }
  async countByPlatform(platformIds: string[]) {
    const counts: Record<string, number> = Object.fromEntries(platformIds.map((id) => [id, 0]));
    const rows = (await this.c.model.aggregate([
      { $match: { platformId: { $in: platformIds } } },
      { $group: { _id: '$platformId', n: { $sum: 1 } } },
    ])) as Array<{ _id: string; n: number }>;
    for (const r of rows) counts[r._id] = r.n;
    return counts;
  }
  beginMigration(siteId: string, fromPlatformId: string) {
    return this.c.cas(
      siteId,
      { status: 'enabled', platformId: fromPlatformId },
      { $set: { status: 'migrating', updatedAt: new Date() } },
    );
  }
  completeMigration(siteId: string, toPlatformId: string, taskId: string, at: Date) {
    return this.c.cas(
      siteId,
      { status: 'migrating' },
      {
        $set: { status: 'enabled', platformId: toPlatformId, updatedAt: new Date() },
        $push: { history: { platformId: toPlatformId, from: at, taskId } },
      },
    );
  }
  abortMigration(siteId: string) {
    return this.c.cas(siteId, { status: 'migrating' }, { $set: { status: 'enabled', updatedAt: new Date() } });
  }
  /** Explains why a guarded write on a site matched nothing. */
  private async refusal(id: string): Promise<Error> {
    const site = await this.c.get(id);
    return site ? conflicts.siteMigrating(site.name) : notFound('site', id);
  }
  async update(id: string, patch: Parameters<SiteRepository['update']>[1]) {
    const done = await this.c.cas(id, { status: { $ne: 'migrating' } }, { $set: { ...pickPatch(patch, SITE_PATCH_KEYS), updatedAt: new Date() } });
    if (!done) throw await this.refusal(id);
    return done;
  }
  async delete(id: string) {
    const oid = toObjectId(id);
    const res = oid ? await this.c.model.deleteOne({ _id: oid, status: { $ne: 'migrating' } }) : { deletedCount: 0 };
    if (res.deletedCount === 0) throw await this.refusal(id);
  }
}
