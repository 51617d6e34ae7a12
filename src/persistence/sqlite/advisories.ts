/** Advisory snapshots, events and announcements in SQLite (AdvisoryRepository). */
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
import { assertPage } from '../records.js';
import type { SqliteDatabase } from './database.js';
import { json, ms, newId, parse } from './rows.js';

interface SnapshotRow {
  id: string;
  source: string;
  commit_id: string;
  fetched_at: number;
  conflict: string;
}
interface EventRow {
  id: string;
  seq: number;
  source: string;
  snapshot_id: string;
  previous_snapshot_id: string | null;
  commit_id: string;
  at: number;
  changes: string;
  initial: number;
  announced: number;
}
interface AnnouncementRow {
  event_id: string;
  distribution_id: string;
  channel: string;
  ts: string | null;
  fixed_by: string | null;
  created_at: number;
}

const snapshotOf = (r: SnapshotRow): AdvisorySnapshot => ({
  id: r.id,
  source: r.source,
  commit: r.commit_id,
  fetchedAt: new Date(r.fetched_at),
  conflict: Object.assign(Object.create(null) as Record<string, string>, parse<Record<string, string>>(r.conflict)),
});
const eventOf = (r: EventRow): AdvisoryEvent => ({
  id: r.id,
  seq: r.seq,
  source: r.source,
  snapshotId: r.snapshot_id,
  previousSnapshotId: r.previous_snapshot_id,
  commit: r.commit_id,
  at: new Date(r.at),
  changes: parse<AdvisoryChange[]>(r.changes),
  initial: r.initial === 1,
  announced: r.announced === 1,
});
const announcementOf = (r: AnnouncementRow): AdvisoryAnnouncement => ({
  eventId: r.event_id,
  distributionId: r.distribution_id,
  channel: r.channel,
  ts: r.ts,
  fixedBy: r.fixed_by,
  createdAt: new Date(r.created_at),
});

const IN_FORCE = 'SELECT s.* FROM advisory_in_force f JOIN advisory_snapshots s ON s.id = f.snapshot_id';

export class SqliteAdvisories implements AdvisoryRepository {
  constructor(private readonly db: SqliteDatabase) {}

  inForce(source: string): Promise<AdvisorySnapshot | null> {
    return this.db.read(() => {
      const r = this.db.get<SnapshotRow>(`${IN_FORCE} WHERE f.source = ?`, source);
      return r ? snapshotOf(r) : null;
    });
  }

  listInForce(): Promise<AdvisorySnapshot[]> {
    return this.db.read(() => this.db.all<SnapshotRow>(`${IN_FORCE} ORDER BY f.source`).map(snapshotOf));
  }

  inForceIds(): Promise<string[]> {
    return this.db.read(() => this.db.all<{ snapshot_id: string }>('SELECT snapshot_id FROM advisory_in_force ORDER BY source').map((r) => r.snapshot_id));
  }

  commitSnapshot(snapshot: NewAdvisorySnapshot, event: NewAdvisoryEvent, expectedPreviousId: string | null) {
    return this.db.write(() => {
      const current = this.db.get<{ snapshot_id: string }>('SELECT snapshot_id FROM advisory_in_force WHERE source = ?', snapshot.source);
      if ((current?.snapshot_id ?? null) !== expectedPreviousId) return null;
      const id = newId();
      this.db.run(
        'INSERT INTO advisory_snapshots (id, source, commit_id, fetched_at, conflict) VALUES (?, ?, ?, ?, ?)',
        id, snapshot.source, snapshot.commit, ms(snapshot.fetchedAt), json(snapshot.conflict),
      );
      this.db.run(
        'INSERT INTO advisory_in_force (source, snapshot_id) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET snapshot_id = excluded.snapshot_id',
        snapshot.source, id,
      );
      const seq = (this.db.get<{ n: number | null }>('SELECT MAX(seq) AS n FROM advisory_events')?.n ?? 0) + 1;
      const eventId = newId();
      this.db.run(
        `INSERT INTO advisory_events (id, seq, source, snapshot_id, previous_snapshot_id, commit_id, at, changes, package_names, initial, announced)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        eventId, seq, event.source, id, event.previousSnapshotId, event.commit, ms(event.at), json(event.changes),
        json(event.changes.map((c) => c.name.toLowerCase())), event.initial ? 1 : 0, event.initial ? 1 : 0,
      );
      return {
        snapshot: { ...snapshot, id },
        event: { ...event, id: eventId, seq, snapshotId: id, announced: event.initial },
      };
    });
  }

  getEvent(id: string): Promise<AdvisoryEvent | null> {
    return this.db.read(() => {
      const r = this.db.get<EventRow>('SELECT * FROM advisory_events WHERE id = ?', id);
      return r ? eventOf(r) : null;
    });
  }

  listEvents(filter: { unannounced?: boolean; packageName?: string } = {}, page: PageRequest = { limit: 50, offset: 0 }): Promise<Page<AdvisoryEvent>> {
    assertPage(page);
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.unannounced) where.push('announced = 0');
    if (filter.packageName !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(package_names) WHERE value = ?)');
      params.push(filter.packageName.toLowerCase());
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const order = filter.unannounced ? 'seq ASC' : 'seq DESC';
    return this.db.read(() => ({
      items: this.db.all<EventRow>(`SELECT * FROM advisory_events ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`, ...params, page.limit, page.offset).map(eventOf),
      total: this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM advisory_events ${clause}`, ...params)!.n,
    }));
  }

  async markAnnounced(eventId: string): Promise<void> {
    await this.db.write(() => this.db.run('UPDATE advisory_events SET announced = 1 WHERE id = ?', eventId));
  }

  claimAnnouncement(eventId: string, distributionId: string, channel: string, now: Date, staleAfterMs: number): Promise<boolean> {
    return this.db.write(() => {
      const inserted = this.db.run(
        `INSERT INTO advisory_announcements (event_id, distribution_id, channel, claimed_at, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (event_id, distribution_id) DO NOTHING`,
        eventId, distributionId, channel, ms(now), ms(now),
      );
      if (inserted.changes === 1) return true;
      // A claim without a message whose poster died: offered again once stale.
      return (
        this.db.run(
          'UPDATE advisory_announcements SET claimed_at = ?, channel = ? WHERE event_id = ? AND distribution_id = ? AND ts IS NULL AND claimed_at <= ?',
          ms(now), channel, eventId, distributionId, ms(now) - staleAfterMs,
        ).changes === 1
      );
    });
  }

  async setAnnouncementTs(eventId: string, distributionId: string, ts: string): Promise<void> {
    await this.db.write(() => this.db.run('UPDATE advisory_announcements SET ts = ? WHERE event_id = ? AND distribution_id = ?', ts, eventId, distributionId));
  }

  listOpenAnnouncements(distributionId: string): Promise<AdvisoryAnnouncement[]> {
    return this.db.read(() =>
      this.db
        .all<AnnouncementRow>(
          'SELECT * FROM advisory_announcements WHERE distribution_id = ? AND ts IS NOT NULL AND fixed_by IS NULL ORDER BY created_at, event_id',
          distributionId,
        )
        .map(announcementOf),
    );
  }

  getAnnouncement(eventId: string, distributionId: string): Promise<AdvisoryAnnouncement | null> {
    return this.db.read(() => {
      const r = this.db.get<AnnouncementRow>('SELECT * FROM advisory_announcements WHERE event_id = ? AND distribution_id = ?', eventId, distributionId);
      return r ? announcementOf(r) : null;
    });
  }

  markFixed(eventId: string, distributionId: string, platformId: string): Promise<boolean> {
    return this.db.write(
      () =>
        this.db.run(
          'UPDATE advisory_announcements SET fixed_by = ? WHERE event_id = ? AND distribution_id = ? AND fixed_by IS NULL',
          platformId, eventId, distributionId,
        ).changes === 1,
    );
  }

  getFeedState(source: string): Promise<AdvisoryFeedState> {
    return this.db.read(() => {
      const r = this.db.get<{ state: string }>('SELECT state FROM advisory_feed_state WHERE source = ?', source);
      return r ? parse<AdvisoryFeedState>(r.state) : {};
    });
  }

  async updateFeedState(source: string, patch: AdvisoryFeedState): Promise<void> {
    await this.db.write(() => {
      const r = this.db.get<{ state: string }>('SELECT state FROM advisory_feed_state WHERE source = ?', source);
      const next = { ...(r ? parse<AdvisoryFeedState>(r.state) : {}), ...patch };
      this.db.run('INSERT INTO advisory_feed_state (source, state) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET state = excluded.state', source, json(next));
    });
  }
}
