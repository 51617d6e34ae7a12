/**
 * SignInStore on MongoDB. Each throttle key is one document updated by compare-and-set on its `version`, so
 * concurrent attempts from several web processes are counted exactly; the rules are reserved one after the
 * other and, when a later one refuses, the earlier ones are taken back (no multi-document transaction).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { throttleAttempt, type ThrottleRule } from '../../domain/login-throttle.js';
import type { SignInStore } from '../../domain/ports.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';

const throttleSchema = new Schema(
  { key: { type: String, required: true }, count: Number, windowStart: Number, nextAt: Number, version: Number },
  { versionKey: false, strict: 'throw' },
);
throttleSchema.index({ key: 1 }, { unique: true });

const rehashSchema = new Schema({ user: { type: String, required: true }, source: String, hash: String }, { versionKey: false, strict: 'throw' });
rehashSchema.index({ user: 1 }, { unique: true });

interface ThrottleDoc {
  key: string;
  count: number;
  windowStart: number;
  nextAt: number;
  version: number;
}

const model = (connection: Connection, name: string, schema: Schema, collection: string): Model<unknown> =>
  (connection.models[name] as Model<unknown> | undefined) ?? connection.model<unknown>(name, schema, collection);

export class MongoSignIns implements SignInStore {
  private constructor(
    private readonly throttle: Model<unknown>,
    private readonly rehash: Model<unknown>,
  ) {}

  static async create(connection: Connection): Promise<MongoSignIns> {
    const throttle = model(connection, 'SignInThrottle', throttleSchema, 'signinthrottle');
    const rehash = model(connection, 'AdminPasswordRehash', rehashSchema, 'adminpasswordrehash');
    await Promise.all([throttle.init(), rehash.init()]);
    return new MongoSignIns(throttle, rehash);
  }

  /** One rule: 0 when counted, else the wait. Retries its compare-and-set until it sees a stable document. */
  private async reserveOne(rule: ThrottleRule, now: number): Promise<number> {
    for (;;) {
      const doc = (await this.throttle.findOne({ key: rule.key }).lean()) as ThrottleDoc | null;
      const r = throttleAttempt(doc, rule, now);
      if (!r.state) return r.waitMs;
      if (!doc) {
        try {
          await this.throttle.create({ key: rule.key, ...r.state, version: 1 });
          return 0;
        } catch (e) {
          if (isDuplicateKey(e)) continue;
          throw e;
        }
      }
      const res = await this.throttle.updateOne({ key: rule.key, version: doc.version }, { $set: { ...r.state, version: doc.version + 1 } });
      if (res.modifiedCount === 1) return 0;
    }
  }

  async reserveAttempt(rules: ThrottleRule[], now: Date): Promise<number> {
    const taken: string[] = [];
    for (const rule of rules) {
      const wait = await this.reserveOne(rule, now.getTime());
      if (wait > 0) {
        await this.refundAttempt(taken);
        return wait;
      }
      taken.push(rule.key);
    }
    return 0;
  }

  async refundAttempt(keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.throttle.updateOne({ key, count: { $gt: 0 } }, { $inc: { count: -1, version: 1 } });
    }
  }

  async clearAttempts(keys: string[]): Promise<void> {
    await this.throttle.deleteMany({ key: { $in: keys } });
  }

  async getRehash(user: string): Promise<{ source: string; hash: string } | null> {
    const doc = (await this.rehash.findOne({ user }).lean()) as { source: string; hash: string } | null;
    return doc ? { source: doc.source, hash: doc.hash } : null;
  }

  async setRehash(user: string, source: string, hash: string): Promise<void> {
    await this.rehash.updateOne({ user }, { $set: { source, hash } }, { upsert: true });
  }
}
