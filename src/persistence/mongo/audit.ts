/**
 * AuditStore on MongoDB: one document per entry in `auditlog`, never updated or deleted (this adapter has no
 * such call). Ordered by `_id` (an ObjectId: creation second, then process and counter), which is also the cursor.
 */
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import type { Actor } from '../../domain/actor.js';
import type { AuditEntry, AuditFilter, AuditPageRequest, NewAuditEntry } from '../../domain/audit.js';
import { ValidationError } from '../../domain/errors.js';
import type { AuditStore } from '../../domain/ports.js';

const auditSchema = new Schema(
  {
    at: { type: Date, required: true },
    actor: Schema.Types.Mixed,
    actorId: String,
    source: String,
    action: String,
    subject: Schema.Types.Mixed,
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, minimize: false, strict: 'throw' },
);
auditSchema.index({ at: -1 });
auditSchema.index({ actorId: 1, _id: -1 });
auditSchema.index({ 'subject.name': 1, _id: -1 });

interface Doc {
  _id: mongoose.Types.ObjectId;
  at: Date;
  actor: Actor;
  actorId: string;
  source: AuditEntry['source'];
  action: AuditEntry['action'];
  subject: AuditEntry['subject'];
  details: AuditEntry['details'];
}

const toDomain = (d: Doc): AuditEntry => ({
  id: d._id.toHexString(),
  at: d.at,
  actor: d.actor,
  actorId: d.actorId,
  source: d.source,
  action: d.action,
  subject: d.subject,
  details: d.details ?? {},
});

export class MongoAudit implements AuditStore {
  private constructor(private readonly model: Model<unknown>) {}

  static async create(connection: Connection): Promise<MongoAudit> {
    const model = (connection.models['AuditEntry'] as Model<unknown> | undefined) ?? connection.model<unknown>('AuditEntry', auditSchema, 'auditlog');
    await model.init();
    return new MongoAudit(model);
  }

  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    const doc = await this.model.create(entry);
    return { id: (doc as unknown as Doc)._id.toHexString(), ...entry };
  }

  async list(filter: AuditFilter, page: AuditPageRequest) {
    const query: Record<string, unknown> = {};
    if (filter.actorId !== undefined) query['actorId'] = filter.actorId;
    if (filter.action) query['action'] = { $in: filter.action };
    if (filter.source) query['source'] = { $in: filter.source };
    if (filter.subject !== undefined) query['$or'] = [{ 'subject.name': filter.subject }, { 'subject.id': filter.subject }];
    if (filter.since || filter.until) query['at'] = { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) };
    if (page.before !== undefined) {
      if (!/^[0-9a-f]{24}$/.test(page.before)) throw new ValidationError('Invalid cursor.', ['cursor: the `next` value of a previous page']);
      query['_id'] = { $lt: new mongoose.Types.ObjectId(page.before) };
    }
    const docs = (await this.model.find(query).sort({ _id: -1 }).limit(page.limit + 1).lean()) as unknown as Doc[];
    const items = docs.slice(0, page.limit).map(toDomain);
    return { items, next: docs.length > page.limit ? items[items.length - 1]!.id : null };
  }
}
