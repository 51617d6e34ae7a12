/**
 * RedeliveryStore on MongoDB, shared by every web process: one document per key, made unique by an index
 * (two processes receiving the same redelivery at once: one insert wins, the other gets E11000), and removed by
 * the TTL index after `expiresAt`. The TTL monitor runs about once a minute, so an expired document may
 * still be there: it is revived in one atomic update, which again only one caller can win.
 */
import type { Model } from 'mongoose';
import type { RedeliveryStore } from '../../domain/ports.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';

export class MongoRedeliveries implements RedeliveryStore {
  constructor(private readonly model: Model<unknown>) {}

  async seen(key: string, ttlMs: number): Promise<boolean> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ttlMs);
    if (await this.model.exists({ key, expiresAt: { $gt: now } })) return true;
    const revived = await this.model.updateOne({ key, expiresAt: { $lte: now } }, { $set: { expiresAt } });
    if (revived.modifiedCount === 1) return false;
    try {
      await this.model.create({ key, expiresAt });
      return false;
    } catch (e) {
      if (isDuplicateKey(e)) return true;
      throw e;
    }
  }

  async forget(key: string): Promise<void> {
    await this.model.deleteMany({ key });
  }
}
