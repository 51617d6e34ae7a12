/**
 * RedeliveryStore on MongoDB, shared by every web process: one document per key, made unique by an index
 * (two processes receiving the same redelivery at once: one insert wins, the other gets E11000), and removed by
 * the TTL index after `expiresAt`. The TTL monitor runs about once a minute, so an expired document may
 * still be there: it is revived in one atomic update, which again only one caller can win. A claim whose lease ran
 * out (its handler died before completing) is taken over the same way.
 */
import type { Model } from 'mongoose';
import type { DeliveryClaim, RedeliveryStore } from '../../domain/ports.js';
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

  async claim(key: string, ttlMs: number, leaseMs: number): Promise<DeliveryClaim> {
    const now = new Date();
    const set = { state: 'claimed', leaseUntil: new Date(now.getTime() + leaseMs), expiresAt: new Date(now.getTime() + ttlMs) };
    // An expired record, or a claim nobody completed within its lease: one atomic update, won by one caller.
    const taken = await this.model.updateOne({ key, $or: [{ expiresAt: { $lte: now } }, { state: 'claimed', leaseUntil: { $lte: now } }] }, { $set: set });
    if (taken.modifiedCount === 1) return 'claimed';
    const current = async () => {
      const doc = (await this.model.findOne({ key }).lean()) as { state?: string } | null;
      // No state: recorded by `seen`, i.e. handled. Gone meanwhile (the TTL monitor): the next offer takes it.
      return doc?.state === 'claimed' || !doc ? 'in-progress' : 'done';
    };
    if (await this.model.exists({ key })) return current();
    try {
      await this.model.create({ key, ...set });
      return 'claimed';
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      return current();
    }
  }

  async complete(key: string): Promise<void> {
    await this.model.updateOne({ key }, { $set: { state: 'done' }, $unset: { leaseUntil: 1 } });
  }
}
