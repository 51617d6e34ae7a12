/**
 * Rollouts on MongoDB: one document each, changed only by a findOneAndUpdate conditional on `version` (single-
 * document atomicity, no transaction needed). Numbers come from the shared `counters` collection.
 */
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { ConflictError } from '../../domain/errors.js';
import type { PageRequest, RolloutFilter, RolloutRepository } from '../../domain/ports.js';
import { automaticRolloutKey, newRolloutRecord, ROLLOUT_PATCH_KEYS, type NewRollout, type Rollout, type RolloutPatch } from '../../domain/rollout.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import { assertPage, pickPatch } from '../records.js';
import { toObjectId } from './models.js';

const Mixed = Schema.Types.Mixed;

const rolloutSchema = new Schema(
  {
    number: { type: Number, required: true },
    planId: { type: String, required: true },
    distributionId: String,
    targetPlatformId: String,
    state: String,
    waves: Mixed,
    failureThreshold: Number,
    reason: { type: String, default: null },
    waitingUntil: { type: Date, default: null },
    createdBy: Mixed,
    security: { type: Mixed, default: null },
    /** automaticRolloutKey: absent on every rollout an advisory event did not start by itself. */
    autoKey: { type: String, default: undefined },
    pausedBy: { type: Mixed, default: null },
    pausedAt: { type: Date, default: null },
    resumedBy: { type: Mixed, default: null },
    resumedAt: { type: Date, default: null },
    cancelledBy: { type: Mixed, default: null },
    cancelledAt: { type: Date, default: null },
    version: Number,
    createdAt: Date,
    updatedAt: Date,
    finishedAt: { type: Date, default: null },
    notes: { type: Mixed, default: [] },
  },
  { versionKey: false, minimize: false, strict: 'throw' },
);
rolloutSchema.index({ planId: 1 }, { unique: true });
rolloutSchema.index({ number: 1 }, { unique: true });
rolloutSchema.index({ distributionId: 1, number: -1 });
rolloutSchema.index({ state: 1 });
rolloutSchema.index({ autoKey: 1 }, { unique: true, partialFilterExpression: { autoKey: { $type: 'string' } } });

const toDomain = (doc: unknown): Rollout | null => {
  if (!doc) return null;
  const { _id, autoKey: _key, ...rest } = doc as Record<string, unknown> & { _id: mongoose.Types.ObjectId };
  return { security: null, id: String(_id), ...rest } as Rollout;
};

export class MongoRollouts implements RolloutRepository {
  private constructor(
    private readonly model: Model<unknown>,
    private readonly connection: Connection,
  ) {}

  /** Registers the model on `connection` (once) and waits for its indexes. */
  static async open(connection: Connection): Promise<MongoRollouts> {
    const model = (connection.models.Rollout as Model<unknown> | undefined) ?? connection.model<unknown>('Rollout', rolloutSchema, 'rollouts');
    await model.init();
    return new MongoRollouts(model, connection);
  }

  private async nextNumber(retry = true): Promise<number> {
    try {
      const row = await this.connection
        .collection<{ name: string; seq: number }>('counters')
        .findOneAndUpdate({ name: 'rollout' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
      return row!.seq;
    } catch (e) {
      // Two first-ever upserts can race to insert the counter; the loser increments the winner's.
      if (retry && isDuplicateKey(e)) return this.nextNumber(false);
      throw e;
    }
  }

  async create(input: NewRollout): Promise<Rollout> {
    const conflict = () => new ConflictError(`The upgrade ${input.planId} already has a rollout.`);
    const autoKey = automaticRolloutKey(input);
    // The pre-checks give the usual refusal without using a number; the unique indexes settle races.
    if (await this.model.exists({ planId: input.planId })) throw conflict();
    if (autoKey && (await this.model.exists({ autoKey }))) throw new ConflictError(`The advisory event ${input.security?.advisoryEventId ?? ''} already started a rollout.`);
    try {
      const record = newRolloutRecord(input, await this.nextNumber(), new Date());
      const created = await this.model.create(autoKey ? { ...record, autoKey } : record);
      return toDomain((created as unknown as { toObject(): unknown }).toObject())!;
    } catch (e) {
      throw isDuplicateKey(e) ? conflict() : e;
    }
  }

  async get(id: string): Promise<Rollout | null> {
    const _id = toObjectId(id);
    return _id ? toDomain(await this.model.findById(_id).lean()) : null;
  }

  async getByNumber(n: number): Promise<Rollout | null> {
    return toDomain(await this.model.findOne({ number: n }).lean());
  }

  async getByPlan(planId: string): Promise<Rollout | null> {
    return toDomain(await this.model.findOne({ planId }).lean());
  }

  async getAutomatic(advisoryEventId: string, distributionId: string): Promise<Rollout | null> {
    const autoKey = automaticRolloutKey({ distributionId, security: { advisoryEventId, automatic: true } });
    return toDomain(await this.model.findOne({ autoKey }).lean());
  }

  async list(filter: RolloutFilter = {}, page?: PageRequest) {
    assertPage(page);
    const f: Record<string, unknown> = {};
    if (filter.distributionId !== undefined) f.distributionId = filter.distributionId;
    if (filter.state) f.state = { $in: filter.state };
    let q = this.model.find(f).sort({ number: -1 });
    if (page) q = q.skip(page.offset).limit(page.limit);
    const [docs, total] = await Promise.all([page?.limit === 0 ? Promise.resolve([]) : q.lean(), this.model.countDocuments(f)]);
    return { items: (docs as unknown[]).map((d) => toDomain(d)!), total };
  }

  async update(id: string, version: number, patch: RolloutPatch): Promise<Rollout | null> {
    const _id = toObjectId(id);
    if (!_id) return null;
    const $set = { ...pickPatch(patch, ROLLOUT_PATCH_KEYS), updatedAt: new Date() };
    return toDomain(await this.model.findOneAndUpdate({ _id, version }, { $set, $inc: { version: 1 } }, { returnDocument: 'after' }).lean());
  }
}
