/**
 * PlatformRepository on MongoDB: one platform per (distribution, commit) by unique index, build leases and capped
 * build logs by single-document updates.
 */
import mongoose from 'mongoose';
import { ConflictError } from '../../domain/errors.js';
import type { Platform } from '../../domain/platform.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import type { PageRequest, PlatformFilter, PlatformRepository } from '../../domain/ports.js';
import { clipLine, LOG_MAX_LINES, conflicts, newPlatformRecord, pickPatch, PLATFORM_PATCH_KEYS } from '../records.js';
import { Collection, decodeKey, droppedFrom, duplicateOn, encodeKey, mapKeys, type Filter, type Raw, type Update } from './collection.js';
import { toObjectId, type DistroModels } from './models.js';

const fixPlatform = (d: Raw) => {
  droppedFrom(d, 'buildLogCount', 'buildLog', 'buildLogDropped');
  d.buildLeaseUntil ??= null;
  const m = d.manifest as { files?: unknown; tree?: unknown } | undefined;
  if (!m) return;
  m.files = mapKeys(m.files, decodeKey);
  if (m.tree) m.tree = mapKeys(m.tree, decodeKey);
};

const encodeManifest = <M extends { files: Record<string, string>; tree?: Record<string, string> }>(m: M): M => ({
  ...m,
  files: mapKeys(m.files, encodeKey),
  ...(m.tree ? { tree: mapKeys(m.tree, encodeKey) } : {}),
});

/** A build lease that ran out, or none at all (a platform from before build leases). */
const expiredLease = (now: Date): Filter => ({ $or: [{ buildLeaseUntil: { $lt: now } }, { buildLeaseUntil: null }] });

export class MongoPlatforms implements PlatformRepository {
  private readonly c: Collection<Platform>;
  constructor(models: DistroModels) {
    this.c = new Collection(models.platforms, 'platform', fixPlatform);
  }
  async create(input: Parameters<PlatformRepository['create']>[0]) {
    const { buildLogDropped: _dropped, ...record } = newPlatformRecord(input, new Date());
    return this.c.insert({ ...record, buildLogCount: 0, manifest: encodeManifest(record.manifest) }, (e) =>
      duplicateOn(e, 'name') ? conflicts.platformName(input.name) : conflicts.platformCommit(input.source.commit),
    );
  }
  async createIfAbsent(input: Parameters<PlatformRepository['createIfAbsent']>[0]) {
    const existing = await this.getByCommit(input.distributionId, input.source.commit);
    if (existing) return { platform: existing, created: false };
    try {
      return { platform: await this.create(input), created: true };
    } catch (e) {
      // Lost the race to another creator of the same commit: theirs is the platform.
      const winner = e instanceof ConflictError ? await this.getByCommit(input.distributionId, input.source.commit) : null;
      if (winner) return { platform: winner, created: false };
      throw e;
    }
  }
  get(id: string) {
    return this.c.get(id);
  }
  getByName(name: string) {
    return this.c.findOne({ name });
  }
  getByCommit(distributionId: string, commit: string) {
    return this.c.findOne({ distributionId, 'source.commit': commit });
  }
  getMany(ids: string[]) {
    return this.c.getMany(ids);
  }
  list(filter: PlatformFilter = {}, page?: PageRequest) {
    const f: Filter = {};
    if (filter.distributionId !== undefined) f.distributionId = filter.distributionId;
    if (filter.status) f.status = { $in: filter.status };
    return this.c.find(f, { createdAt: 1, _id: 1 }, page);
  }
  setStatus(id: string, status: Platform['status'], from?: Platform['status'][]) {
    const $set: Update = { status, updatedAt: new Date(), ...(status === 'building' ? {} : { buildLeaseUntil: null }) };
    return this.c.cas(id, from ? { status: { $in: from } } : {}, { $set });
  }
  startBuild(id: string, leaseUntil: Date, now: Date) {
    return this.c.cas(
      id,
      { $or: [{ status: 'queued' }, { status: 'building', ...expiredLease(now) }] },
      { $set: { status: 'building', buildLeaseUntil: leaseUntil, updatedAt: new Date() } },
    );
  }
  async renewBuildLease(id: string, until: Date) {
    return (await this.c.cas(id, { status: 'building' }, { $set: { buildLeaseUntil: until } })) !== null;
  }
  async requeueExpiredBuilds(now: Date) {
    const candidates = (await this.c.model.find({ status: 'building', ...expiredLease(now) }, { _id: 1 }).lean()) as unknown as Array<{
      _id: mongoose.Types.ObjectId;
    }>;
    // One CAS each: of several workers noticing the same expired lease, one requeues it.
    const requeued = await Promise.all(
      candidates.map((d) =>
        this.c.cas(d._id.toHexString(), { status: 'building', ...expiredLease(now) }, { $set: { status: 'queued', buildLeaseUntil: null, updatedAt: new Date() } }),
      ),
    );
    return requeued.filter((p) => p !== null);
  }
  async lockAllExcept(distributionId: string, keepId: string) {
    const now = new Date();
    const keep = toObjectId(keepId);
    const candidates = (await this.c.model
      .find({ distributionId, status: 'ready', ...(keep ? { _id: { $ne: keep } } : {}) }, { _id: 1 })
      .lean()) as unknown as Array<{ _id: mongoose.Types.ObjectId }>;
    // One CAS per platform so the reported ids are exactly the ones this call changed.
    const locked = await Promise.all(
      candidates.map((d) =>
        this.c.cas(d._id.toHexString(), { distributionId, status: 'ready' }, { $set: { status: 'locked', updatedAt: now } }),
      ),
    );
    const unlocked = await this.c.cas(keepId, { distributionId, status: 'locked' }, { $set: { status: 'ready', updatedAt: now } });
    return {
      locked: locked.flatMap((p) => (p ? [p.id] : [])),
      unlocked: unlocked ? [unlocked.id] : [],
    };
  }
  async update(id: string, patch: Parameters<PlatformRepository['update']>[1]) {
    const clean = pickPatch(patch, PLATFORM_PATCH_KEYS);
    const $set: Update = { ...clean, updatedAt: new Date() };
    if (clean.manifest) $set.manifest = encodeManifest(clean.manifest);
    try {
      return await this.c.mustUpdate(id, { $set });
    } catch (e) {
      if (isDuplicateKey(e)) throw conflicts.platformCommit(clean.source?.commit ?? '');
      throw e;
    }
  }
  async appendBuildLog(id: string, lines: string[]) {
    await this.c.mustUpdate(id, {
      $push: { buildLog: { $each: lines.map(clipLine), $slice: -LOG_MAX_LINES } },
      $inc: { buildLogCount: lines.length },
    });
  }
  delete(id: string) {
    return this.c.mustDelete(id);
  }
}
