/** ApiTokenStore on MongoDB: one document per personal API token, shared by every web process. */
import type { Model } from 'mongoose';
import type { ApiToken } from '../../domain/api-token.js';
import type { ApiTokenStore } from '../../domain/ports.js';

/** The token as stored: its id under `key`. */
type TokenDoc = Omit<ApiToken, 'id'> & { key: string };

const toToken = (d: TokenDoc): ApiToken => ({
  id: d.key,
  user: d.user,
  name: d.name,
  role: d.role,
  hash: d.hash,
  createdAt: new Date(d.createdAt),
  expiresAt: d.expiresAt ? new Date(d.expiresAt) : null,
  lastUsedAt: d.lastUsedAt ? new Date(d.lastUsedAt) : null,
});

export class MongoApiTokens implements ApiTokenStore {
  constructor(private readonly model: Model<unknown>) {}

  async create(t: ApiToken): Promise<void> {
    await this.model.create({
      key: t.id,
      user: t.user,
      name: t.name,
      role: t.role,
      hash: t.hash,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      lastUsedAt: t.lastUsedAt,
    });
  }

  async findByHash(hash: string): Promise<ApiToken | null> {
    const doc = (await this.model.findOne({ hash }).lean()) as TokenDoc | null;
    return doc ? toToken(doc) : null;
  }

  async listByUser(user: string): Promise<ApiToken[]> {
    const docs = (await this.model.find({ user }).sort({ createdAt: -1, key: -1 }).lean()) as unknown as TokenDoc[];
    return docs.map(toToken);
  }

  async revoke(user: string, id: string): Promise<ApiToken | null> {
    const doc = (await this.model.findOneAndDelete({ key: id, user }).lean()) as TokenDoc | null;
    return doc ? toToken(doc) : null;
  }

  async touch(id: string, at: Date): Promise<void> {
    // Conditional, so a late touch never moves the last use back.
    await this.model.updateOne({ key: id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: at } }] }, { $set: { lastUsedAt: at } });
  }
}
