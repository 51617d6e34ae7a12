/** DistributionRepository on MongoDB: unique slugs by index; poll state keys percent-encoded (tags hold dots). */
import type { Distribution, PollOutcome } from '../../domain/distribution.js';
import type { DistributionRepository, PageRequest } from '../../domain/ports.js';
import { conflicts, DISTRIBUTION_PATCH_KEYS, newDistributionRecord, notFound, pickPatch } from '../records.js';
import { Collection, decodeKey, encodeKey, mapKeys, type Raw, type Update } from './collection.js';
import { type DistroModels } from './models.js';

const fixDistribution = (d: Raw) => {
  d.pollState = mapKeys(d.pollState, decodeKey);
  d.lastPoll ??= null;
};

export class MongoDistributions implements DistributionRepository {
  private readonly c: Collection<Distribution>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.distributions, 'distribution', fixDistribution);
  }
  async create(input: Parameters<DistributionRepository['create']>[0]) {
    return this.c.insert(newDistributionRecord(input, new Date()), () => conflicts.slug(input.slug));
  }
  get(id: string) {
    return this.c.get(id);
  }
  getBySlug(slug: string) {
    return this.c.findOne({ slug });
  }
  list(page?: PageRequest) {
    return this.c.find({}, { slug: 1 }, page);
  }
  async listWithUpstream() {
    return (await this.c.find({ upstream: { $ne: null } }, { slug: 1 })).items;
  }
  update(id: string, patch: Parameters<DistributionRepository['update']>[1]) {
    return this.c.mustUpdate(id, { $set: { ...pickPatch(patch, DISTRIBUTION_PATCH_KEYS), updatedAt: new Date() } });
  }
  async setTarget(id: string, platformId: string | null, expectedTargetId?: string | null) {
    const filter = expectedTargetId === undefined ? {} : { targetPlatformId: expectedTargetId };
    const d = await this.c.cas(id, filter, { $set: { targetPlatformId: platformId, updatedAt: new Date() } });
    if (!d && !(await this.c.get(id))) throw notFound('distribution', id);
    return d;
  }
  async updatePollState(id: string, patch: Record<string, string>) {
    const $set: Update = { updatedAt: new Date() };
    for (const [k, v] of Object.entries(patch)) $set[`pollState.${encodeKey(k)}`] = v;
    await this.c.mustUpdate(id, { $set });
  }
  async recordPoll(id: string, outcome: PollOutcome) {
    await this.c.mustUpdate(id, { $set: { lastPoll: { at: outcome.at, error: outcome.error } } });
  }
  delete(id: string) {
    return this.c.mustDelete(id);
  }
}
