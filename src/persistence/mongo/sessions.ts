/** SessionStore on MongoDB: one document per admin session, shared by every web process. */
import type { Model } from 'mongoose';
import type { AdminSession, SessionStore } from '../../domain/ports.js';

interface SessionDoc {
  key: string;
  user: string;
  csrf: string;
  createdAt: Date;
  lastSeenAt: Date;
  stamp?: string;
}

export class MongoSessions implements SessionStore {
  constructor(private readonly model: Model<unknown>) {}

  async create(s: AdminSession): Promise<void> {
    await this.model.create({ key: s.id, user: s.user, csrf: s.csrf, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, stamp: s.stamp });
  }

  async get(id: string): Promise<AdminSession | null> {
    const doc = (await this.model.findOne({ key: id }).lean()) as SessionDoc | null;
    return doc ? { id: doc.key, user: doc.user, csrf: doc.csrf, createdAt: new Date(doc.createdAt), lastSeenAt: new Date(doc.lastSeenAt), stamp: doc.stamp ?? '' } : null;
  }

  async touch(id: string, at: Date): Promise<void> {
    // Conditional, so a late touch never moves the last activity back.
    await this.model.updateOne({ key: id, lastSeenAt: { $lt: at } }, { $set: { lastSeenAt: at } });
  }

  async delete(id: string): Promise<void> {
    await this.model.deleteMany({ key: id });
  }

  async prune(idleBefore: Date, createdBefore: Date): Promise<number> {
    const res = await this.model.deleteMany({ $or: [{ lastSeenAt: { $lt: idleBefore } }, { createdAt: { $lt: createdBefore } }] });
    return res.deletedCount;
  }

  async deleteByUser(user: string, keepStamp?: string): Promise<number> {
    const res = await this.model.deleteMany({ user, ...(keepStamp !== undefined ? { stamp: { $ne: keepStamp } } : {}) });
    return res.deletedCount;
  }

  async countByUser(): Promise<Record<string, number>> {
    const docs = (await this.model.find({}, { user: 1 }).lean()) as unknown as { user: string }[];
    const counts: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const d of docs) counts[d.user] = (counts[d.user] ?? 0) + 1;
    return counts;
  }
}
