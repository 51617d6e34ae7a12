/**
 * AdvisoryRepository on MongoDB, without multi-document transactions: an event document's `_id` is its chain key
 * (`source` + the snapshot it follows), so of two pollers committing after the same snapshot exactly one insert
 * succeeds, and the snapshot in force of a source is the one of its newest event. The insert of that one document
 * is the atomic step that makes a snapshot in force and records its event together. Conflict maps are stored as
 * JSON text (package names may contain dots, which MongoDB keys must not).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Types, type Collection, type Connection } from 'mongoose';
import type {
  AdvisoryAnnouncement,
  AdvisoryChange,
  AdvisoryEvent,
  AdvisoryFeedState,
  AdvisorySnapshot,
  NewAdvisoryEvent,
  NewAdvisorySnapshot,
} from '../../domain/advisory-feed.js';
import type { AdvisoryRepository, Page, PageRequest } from '../../domain/ports.js';
import { isDuplicateKey } from '../../lib/is-duplicate-key.js';
import { assertPage } from '../records.js';

interface SnapshotDoc {
  _id: Types.ObjectId;
  source: string;
  commit: string;
  fetchedAt: Date;
  conflict: string;
}
interface EventDoc {
  _id: Types.ObjectId;
  id: string;
  seq: number;
  source: string;
  snapshotId: string;
  previousSnapshotId: string | null;
  commit: string;
  at: Date;
  changes: AdvisoryChange[];
  packageNames: string[];
  initial: boolean;
  announced: boolean;
}
interface AnnouncementDoc {
  _id: Types.ObjectId;
  eventId: string;
  distributionId: string;
  channel: string;
  ts: string | null;
  fixedBy: string | null;
  claimedAt: Date;
  createdAt: Date;
}

const newId = (): string => randomBytes(12).toString('hex');
/** A natural key as an ObjectId `_id`, so `_id` uniqueness (which every server enforces) makes it unique. */
const keyId = (key: string): Types.ObjectId => new Types.ObjectId(createHash('sha256').update(key).digest('hex').slice(0, 24));
const oid = (hex: string): Types.ObjectId => new Types.ObjectId(hex);
const chainKey = (source: string, previous: string | null): Types.ObjectId => keyId(`chain\n${source}\n${previous ?? '-'}`);
const announcementKey = (eventId: string, distributionId: string): Types.ObjectId => keyId(`announcement\n${eventId}\n${distributionId}`);
const stateKey = (source: string): Types.ObjectId => keyId(`state\n${source}`);

const snapshotOf = (d: SnapshotDoc): AdvisorySnapshot => ({
  id: d._id.toHexString(),
  source: d.source,
  commit: d.commit,
  fetchedAt: new Date(d.fetchedAt),
  conflict: Object.assign(Object.create(null) as Record<string, string>, JSON.parse(d.conflict) as Record<string, string>),
});
const eventOf = (d: EventDoc): AdvisoryEvent => ({
  id: d.id,
  seq: d.seq,
  source: d.source,
  snapshotId: d.snapshotId,
  previousSnapshotId: d.previousSnapshotId,
  commit: d.commit,
  at: new Date(d.at),
  changes: d.changes.map((c) => ({ name: c.name, before: c.before ?? null, after: c.after ?? null })),
  initial: d.initial,
  announced: d.announced,
});
const announcementOf = (d: AnnouncementDoc): AdvisoryAnnouncement => ({
  eventId: d.eventId,
  distributionId: d.distributionId,
  channel: d.channel,
  ts: d.ts ?? null,
  fixedBy: d.fixedBy ?? null,
  createdAt: new Date(d.createdAt),
});

export class MongoAdvisories implements AdvisoryRepository {
  private readonly snapshots: Collection<SnapshotDoc>;
  private readonly events: Collection<EventDoc>;
  private readonly announcements: Collection<AnnouncementDoc>;
  private readonly state: Collection<{ _id: Types.ObjectId; state: string }>;
  private readonly counters: Collection<{ _id: Types.ObjectId; seq: number }>;

  constructor(connection: Connection) {
    this.snapshots = connection.collection<SnapshotDoc>('advisory_snapshots');
    this.events = connection.collection<EventDoc>('advisory_events');
    this.announcements = connection.collection<AnnouncementDoc>('advisory_announcements');
    this.state = connection.collection<{ _id: Types.ObjectId; state: string }>('advisory_feed_state');
    this.counters = connection.collection<{ _id: Types.ObjectId; seq: number }>('advisory_counters');
  }

  /** Indexes for the lookups below (the chain key is `_id`, unique by nature). */
  async init(): Promise<this> {
    await this.events.createIndex({ id: 1 });
    await this.events.createIndex({ source: 1, seq: -1 });
    await this.events.createIndex({ announced: 1, seq: 1 });
    await this.announcements.createIndex({ distributionId: 1 });
    return this;
  }

  async inForce(source: string): Promise<AdvisorySnapshot | null> {
    const latest = await this.events.find({ source }).sort({ seq: -1 }).limit(1).next();
    if (!latest) return null;
    const doc = await this.snapshots.findOne({ _id: oid(latest.snapshotId) });
    return doc ? snapshotOf(doc) : null;
  }

  async listInForce(): Promise<AdvisorySnapshot[]> {
    const sources = (await this.events.distinct('source', {})) as string[];
    const out: AdvisorySnapshot[] = [];
    for (const source of sources.sort()) {
      const s = await this.inForce(source);
      if (s) out.push(s);
    }
    return out;
  }

  async inForceIds(): Promise<string[]> {
    const sources = ((await this.events.distinct('source', {})) as string[]).sort();
    const ids: string[] = [];
    for (const source of sources) {
      const latest = await this.events.find({ source }).sort({ seq: -1 }).limit(1).next();
      if (latest) ids.push(latest.snapshotId);
    }
    return ids;
  }

  async commitSnapshot(snapshot: NewAdvisorySnapshot, event: NewAdvisoryEvent, expectedPreviousId: string | null) {
    const current = await this.inForce(snapshot.source);
    if ((current?.id ?? null) !== expectedPreviousId) return null;
    const id = newId();
    // Not yet in force: a snapshot document no event points at is never read.
    await this.snapshots.insertOne({ _id: oid(id), source: snapshot.source, commit: snapshot.commit, fetchedAt: snapshot.fetchedAt, conflict: JSON.stringify(snapshot.conflict) });
    const seq = await this.nextSeq();
    const doc: EventDoc = {
      _id: chainKey(snapshot.source, expectedPreviousId),
      id: newId(),
      seq,
      source: event.source,
      snapshotId: id,
      previousSnapshotId: event.previousSnapshotId,
      commit: event.commit,
      at: event.at,
      changes: event.changes,
      packageNames: event.changes.map((c) => c.name.toLowerCase()),
      initial: event.initial,
      announced: event.initial,
    };
    try {
      await this.events.insertOne(doc);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      await this.snapshots.deleteOne({ _id: oid(id) });
      return null;
    }
    return { snapshot: { ...snapshot, id }, event: eventOf(doc) };
  }

  private async nextSeq(retry = true): Promise<number> {
    try {
      const counter = await this.counters.findOneAndUpdate({ _id: keyId('event-seq') }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
      return counter!.seq;
    } catch (e) {
      // Two first-ever upserts can race to insert the counter; the loser increments the winner's.
      if (retry && isDuplicateKey(e)) return this.nextSeq(false);
      throw e;
    }
  }

  async getEvent(id: string): Promise<AdvisoryEvent | null> {
    const d = await this.events.findOne({ id });
    return d ? eventOf(d) : null;
  }

  async listEvents(filter: { unannounced?: boolean; packageName?: string } = {}, page: PageRequest = { limit: 50, offset: 0 }): Promise<Page<AdvisoryEvent>> {
    assertPage(page);
    const q: Record<string, unknown> = {};
    if (filter.unannounced) q.announced = false;
    if (filter.packageName !== undefined) q.packageNames = filter.packageName.toLowerCase();
    const [docs, total] = await Promise.all([
      this.events.find(q).sort({ seq: filter.unannounced ? 1 : -1 }).skip(page.offset).limit(page.limit).toArray(),
      this.events.countDocuments(q),
    ]);
    return { items: docs.map(eventOf), total };
  }

  async markAnnounced(eventId: string): Promise<void> {
    await this.events.updateOne({ id: eventId }, { $set: { announced: true } });
  }

  async claimAnnouncement(eventId: string, distributionId: string, channel: string, now: Date, staleAfterMs: number): Promise<boolean> {
    const _id = announcementKey(eventId, distributionId);
    try {
      await this.announcements.insertOne({ _id, eventId, distributionId, channel, ts: null, fixedBy: null, claimedAt: now, createdAt: now });
      return true;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const res = await this.announcements.updateOne(
      { _id, ts: null, claimedAt: { $lte: new Date(now.getTime() - staleAfterMs) } },
      { $set: { claimedAt: now, channel } },
    );
    return res.modifiedCount === 1;
  }

  async setAnnouncementTs(eventId: string, distributionId: string, ts: string): Promise<void> {
    await this.announcements.updateOne({ _id: announcementKey(eventId, distributionId) }, { $set: { ts } });
  }

  async listOpenAnnouncements(distributionId: string): Promise<AdvisoryAnnouncement[]> {
    const docs = await this.announcements.find({ distributionId, ts: { $ne: null }, fixedBy: null }).sort({ createdAt: 1, eventId: 1 }).toArray();
    return docs.map(announcementOf);
  }

  async getAnnouncement(eventId: string, distributionId: string): Promise<AdvisoryAnnouncement | null> {
    const d = await this.announcements.findOne({ _id: announcementKey(eventId, distributionId) });
    return d ? announcementOf(d) : null;
  }

  async markFixed(eventId: string, distributionId: string, platformId: string): Promise<boolean> {
    const res = await this.announcements.updateOne({ _id: announcementKey(eventId, distributionId), fixedBy: null }, { $set: { fixedBy: platformId } });
    return res.modifiedCount === 1;
  }

  async getFeedState(source: string): Promise<AdvisoryFeedState> {
    const d = await this.state.findOne({ _id: stateKey(source) });
    return d ? (JSON.parse(d.state) as AdvisoryFeedState) : {};
  }

  async updateFeedState(source: string, patch: AdvisoryFeedState): Promise<void> {
    // Read-merge-write: one feed poll runs at a time per source (its job's unique key), so no lost update.
    const next = { ...(await this.getFeedState(source)), ...patch };
    await this.state.updateOne({ _id: stateKey(source) }, { $set: { state: JSON.stringify(next) } }, { upsert: true });
  }
}
