/** HoldStore on MongoDB: one document per (kind, subject), unique by index; `set` is one upsert. */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Hold, HoldKind } from '../../domain/hold.js';
import type { HoldStore } from '../../domain/ports.js';

const holdSchema = new Schema(
  { kind: { type: String, required: true }, subjectId: { type: String, required: true }, reason: String, by: Schema.Types.Mixed, at: Date },
  { versionKey: false, minimize: false, strict: 'throw' },
);
holdSchema.index({ kind: 1, subjectId: 1 }, { unique: true });

const toDomain = (d: Record<string, unknown> | null): Hold | null =>
  d ? { kind: d['kind'] as HoldKind, subjectId: d['subjectId'] as string, reason: d['reason'] as string, by: d['by'] as Hold['by'], at: d['at'] as Date } : null;

export class MongoHolds implements HoldStore {
  private constructor(private readonly model: Model<unknown>) {}

  static async create(connection: Connection): Promise<MongoHolds> {
    const model = (connection.models['Hold'] as Model<unknown> | undefined) ?? connection.model<unknown>('Hold', holdSchema, 'holds');
    await model.init();
    return new MongoHolds(model);
  }

  async set(hold: Hold): Promise<Hold> {
    await this.model.updateOne(
      { kind: hold.kind, subjectId: hold.subjectId },
      { $set: { reason: hold.reason, by: hold.by, at: hold.at } },
      { upsert: true },
    );
    return hold;
  }

  async clear(kind: HoldKind, subjectId: string): Promise<Hold | null> {
    return toDomain((await this.model.findOneAndDelete({ kind, subjectId }).lean()) as Record<string, unknown> | null);
  }

  async get(kind: HoldKind, subjectId: string): Promise<Hold | null> {
    return toDomain((await this.model.findOne({ kind, subjectId }).lean()) as Record<string, unknown> | null);
  }

  async list(kind: HoldKind, subjectIds?: string[]): Promise<Hold[]> {
    const docs = (await this.model.find({ kind, ...(subjectIds ? { subjectId: { $in: subjectIds } } : {}) }).sort({ at: 1 }).lean()) as Record<string, unknown>[];
    return docs.map((d) => toDomain(d)!);
  }
}
