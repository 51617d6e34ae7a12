/**
 * What every MongoDB repository shares: the typed collection helper (compare-and-set, pages, duplicate keys as
 * ConflictErrors) and the encodings between stored documents and domain values.
 */
import mongoose, { type Model } from 'mongoose';
import type { PageRequest } from '../../domain/ports.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import { assertPage, inIdOrder, notFound } from '../records.js';
import { toObjectId } from './models.js';

export type Raw = Record<string, unknown>;
export type Filter = Record<string, unknown>;
export type Update = Record<string, unknown>;

// Record<string,string> maps keyed by user data (tags like `12.4.2`, file paths) may hold '.' and '$',
// which Mongo reads as paths/operators; percent-encode them so `$set: {'pollState.<key>'}` stays one field.
export const encodeKey = (k: string): string => k.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
export const decodeKey = (k: string): string => k.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
export const mapKeys = (obj: unknown, f: (k: string) => string): Record<string, string> =>
  Object.fromEntries(Object.entries((obj ?? {}) as Record<string, string>).map(([k, v]) => [f(k), v]));

export type DuplicateKeyError = { code: number; keyPattern?: Record<string, unknown> };
export const duplicateOn = (e: DuplicateKeyError, field: string): boolean =>
  Object.keys(e.keyPattern ?? {}).includes(field);

/** Plain domain object: string id, no `_id`/bookkeeping fields. */
const plain = <T>(doc: Raw | null, fix?: (d: Raw) => void): T | null => {
  if (!doc) return null;
  const { _id, activeKey: _k, __v: _v, ...rest } = doc;
  const out: Raw = { id: String((_id as mongoose.Types.ObjectId).toHexString?.() ?? _id), ...rest };
  fix?.(out);
  return out as T;
};

/** Stored as a running total of appended lines (one atomic $inc beside the capped $push); read as lines dropped. */
export const droppedFrom = (d: Raw, countField: string, linesField: string, droppedField: string) => {
  const kept = (d[linesField] as unknown[] | undefined)?.length ?? 0;
  d[droppedField] = Math.max(0, ((d[countField] as number | undefined) ?? kept) - kept);
  delete d[countField];
};

export const AFTER = { returnDocument: 'after' } as const;

/** Thin typed helpers over one model; `fix` turns stored encodings back into domain values. */
export class Collection<T extends { id: string }> {
  constructor(
    readonly model: Model<unknown>,
    private readonly entity: string,
    private readonly fix?: (d: Raw) => void,
  ) {}

  toDomain(doc: unknown): T | null {
    return plain<T>(doc as Raw | null, this.fix);
  }
  /** Inserts; a unique-index violation becomes the ConflictError `onDuplicate` makes. */
  async insert(record: object, onDuplicate?: (e: DuplicateKeyError) => Error): Promise<T> {
    try {
      const created = await this.model.create(record);
      return this.toDomain((created as unknown as { toObject(): Raw }).toObject())!;
    } catch (e) {
      throw onDuplicate && isDuplicateKey(e) ? onDuplicate(e) : e;
    }
  }
  async get(id: string): Promise<T | null> {
    const _id = toObjectId(id);
    return _id ? this.toDomain(await this.model.findById(_id).lean()) : null;
  }
  async findOne(filter: Filter): Promise<T | null> {
    return this.toDomain(await this.model.findOne(filter).lean());
  }
  async getMany(ids: string[]): Promise<T[]> {
    const oids = ids.map(toObjectId).filter((x) => x !== null);
    const docs = await this.model.find({ _id: { $in: oids } }).lean();
    return inIdOrder(ids, docs.map((d) => this.toDomain(d)!));
  }
  async find(filter: Filter, sort: Record<string, 1 | -1>, page?: PageRequest): Promise<{ items: T[]; total: number }> {
    assertPage(page);
    let q = this.model.find(filter).sort(sort);
    if (page) q = q.skip(page.offset).limit(page.limit);
    // limit(0) means "no limit" to Mongo; an empty page is what limit 0 asks for.
    const [docs, total] = await Promise.all([
      page?.limit === 0 ? Promise.resolve([]) : q.lean(),
      this.model.countDocuments(filter),
    ]);
    return { items: (docs as unknown[]).map((d) => this.toDomain(d)!), total };
  }
  /** Compare-and-set: null when the filter (which includes the expected state) matched nothing. */
  async cas(id: string, filter: Filter, update: Update): Promise<T | null> {
    const _id = toObjectId(id);
    if (!_id) return null;
    return this.toDomain(await this.model.findOneAndUpdate({ _id, ...filter }, update, AFTER).lean());
  }
  /** Update that must hit the document: NotFoundError otherwise. */
  async mustUpdate(id: string, update: Update): Promise<T> {
    const found = await this.cas(id, {}, update);
    if (!found) throw notFound(this.entity, id);
    return found;
  }
  async mustDelete(id: string): Promise<void> {
    const _id = toObjectId(id);
    const res = _id ? await this.model.deleteOne({ _id }) : { deletedCount: 0 };
    if (res.deletedCount !== 1) throw notFound(this.entity, id);
  }
}
