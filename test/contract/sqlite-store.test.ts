/**
 * What the embedded SQLite store guarantees beyond the shared contract: its start-up checks (schema version,
 * corruption, foreign keys), referential integrity, group commit and multi-call transactions, a full disk,
 * jobs surviving a restart, and the one-time import of the old JSON snapshot.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { ConflictError, NotFoundError, StorageFullError, StoreUnusableError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/logger.js';
import { SqliteDatabase } from '../../src/persistence/sqlite/database.js';
import { importSnapshotOnce } from '../../src/persistence/sqlite/import-snapshot.js';
import { MIGRATIONS } from '../../src/persistence/sqlite/migrations.js';
import { errorMessage } from '../../src/slack/blocks/errors.js';
import { embeddedStore, type EmbeddedStore } from '../support/embedded.js';
import { waitFor } from '../support/wait.js';

const ADMIN = { kind: 'user' as const, id: 'UADMIN' };
const COMMIT = 'a'.repeat(40);

let dir: string;
let file: string;
const open: EmbeddedStore[] = [];
const openStore = (): EmbeddedStore => {
  const s = embeddedStore(file);
  open.push(s);
  return s;
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'distro-sqlite-store-'));
  file = join(dir, 'distro.db');
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.repos.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A distribution, a platform on it, and a site on the platform. */
const seed = async ({ repos }: EmbeddedStore) => {
  const d = await repos.distributions.create({ slug: 'social', title: 'Social' });
  const p = await repos.platforms.create({ name: 'social-1', distributionId: d.id, source: { ref: '1', commit: COMMIT }, createdBy: ADMIN });
  const s = await repos.sites.create({ name: 'a.example.org', platformId: p.id });
  return { d, p, s };
};

/** Raw access to the file behind the store's back (foreign keys off), as a bad tool or an old bug would. */
const raw = (sql: string): void => {
  const conn = new Database(file);
  conn.exec(sql);
  conn.close();
};

describe('opening the database', () => {
  test('a new file gets the whole schema, WAL, synchronous FULL and foreign keys on', async () => {
    const store = openStore();
    const pragma = (name: string) => store.db.get<Record<string, unknown>>(`PRAGMA ${name}`)![name];
    expect(pragma('user_version')).toBe(MIGRATIONS.length);
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(2);
    expect(pragma('foreign_keys')).toBe(1);
    expect(readFileSync(`${file}.pid`, 'utf8').trim()).toBe(String(process.pid));
  });

  test('a version-1 database is upgraded in place: records kept, new fields defaulted, the rebuilt sites table still checked', async () => {
    const v1 = new Database(file);
    MIGRATIONS[0]!(v1);
    v1.exec(`
      PRAGMA user_version = 1;
      INSERT INTO distributions VALUES ('d1', 'social', 'Social', '', NULL, NULL, '{}', NULL, '{}', 1, 1);
      INSERT INTO platforms VALUES ('p1', 'social-1', 'd1', '1', '${COMMIT}', '{"packages":[]}', 'building', '{"kind":"system"}', 'local', NULL, 1, 1);
      INSERT INTO platform_build_log VALUES ('p1', 1, 'cloning');
      INSERT INTO sites VALUES ('s1', 'a.example.org', 'p1', 'migrating', '[]', '[]', 1, 1);
      INSERT INTO tasks (id, number, type, subject_kind, subject_id, subject_name, state, requested_by, checkpoint, attempts, created_at)
        VALUES ('t1', 1, 'migrate', 'site', 's1', 'a.example.org', 'queued', '{"kind":"system"}', '{}', 0, 1);
      INSERT INTO plans VALUES ('pl1', 'd1', 'p1', '{"kind":"all"}', '[]', 0, 'pending', '{"kind":"system"}', NULL, '[]', NULL, 1, 1);
    `);
    v1.close();
    const { repos, db } = openStore();
    expect(db.get<{ user_version: number }>('PRAGMA user_version')!.user_version).toBe(MIGRATIONS.length);
    expect(await repos.platforms.get('p1')).toMatchObject({ status: 'building', buildLog: ['cloning'], buildLogDropped: 0, buildLeaseUntil: null });
    expect(await repos.sites.get('s1')).toMatchObject({ name: 'a.example.org', status: 'migrating', platformId: 'p1' });
    expect(await repos.tasks.get('t1')).toMatchObject({ state: 'queued', logDropped: 0 });
    expect(await repos.plans.get('pl1')).toMatchObject({ state: 'pending', skipped: null });
    // The rebuilt table takes the new status and keeps its constraints.
    expect((await repos.sites.create({ name: 'b.example.org', platformId: 'p1', status: 'installing' })).status).toBe('installing');
    await expect(repos.sites.create({ name: 'c.example.org', platformId: 'gone' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(repos.sites.create({ name: 'a.example.org', platformId: 'p1' })).rejects.toBeInstanceOf(ConflictError);
    expect(() => db.run(`UPDATE sites SET status = 'bogus' WHERE id = 's1'`)).toThrow(/CHECK constraint/);
  });

  test('a database of a newer schema is refused, naming both versions', async () => {
    await openStore().repos.close();
    raw(`PRAGMA user_version = ${MIGRATIONS.length + 5}`);
    expect(() => SqliteDatabase.open({ file })).toThrow(`schema version ${MIGRATIONS.length + 5}, newer than this Distro knows (${MIGRATIONS.length})`);
  });

  test('a site on a missing platform (written behind its back) is refused at start, naming the site', async () => {
    const store = openStore();
    const { s } = await seed(store);
    await store.repos.close();
    raw(`PRAGMA foreign_keys = OFF; UPDATE sites SET platform_id = 'gone' WHERE id = '${s.id}';`);
    let error: unknown;
    try {
      SqliteDatabase.open({ file, dataDir: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreUnusableError);
    expect((error as Error).message).toContain(`is inconsistent: sites ${s.id} points at a missing platforms row`);
  });

  test('a damaged page is refused at start by quick_check, and the file is left as it was', async () => {
    const store = openStore();
    await seed(store);
    for (let i = 0; i < 200; i++) await store.repos.sites.create({ name: `s${i}.example.org`, platformId: (await store.repos.platforms.getByName('social-1'))!.id });
    await store.repos.close();
    const bytes = readFileSync(file);
    // Page 2 onwards hold the tables; scribble over the middle of the file, leaving the header intact.
    const damaged = Buffer.from(bytes);
    damaged.fill(0x5a, 4096 * 2 + 100, Math.min(damaged.length, 4096 * 6));
    writeFileSync(file, damaged);
    expect(() => SqliteDatabase.open({ file })).toThrow(/is corrupt/);
    expect(readFileSync(file).equals(damaged)).toBe(true);
  });
});

describe('referential integrity', () => {
  test('a site on a platform that does not exist is refused, naming the platform', async () => {
    const { repos } = openStore();
    await expect(repos.sites.create({ name: 'x.example.org', platformId: 'nope' })).rejects.toThrow(NotFoundError);
    await expect(repos.sites.create({ name: 'x.example.org', platformId: 'nope' })).rejects.toThrow('No platform named `nope`');
    expect((await repos.sites.list()).total).toBe(0);
  });

  test('a platform with sites, or a distribution with platforms, cannot be deleted', async () => {
    const store = openStore();
    const { d, p, s } = await seed(store);
    await expect(store.repos.platforms.delete(p.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(store.repos.distributions.delete(d.id)).rejects.toBeInstanceOf(ConflictError);
    await store.repos.sites.delete(s.id);
    await store.repos.platforms.delete(p.id);
    await store.repos.distributions.delete(d.id);
    expect(await store.repos.distributions.get(d.id)).toBeNull();
  });

  test('logs are appended as rows, never rewritten', async () => {
    const store = openStore();
    const { p, s } = await seed(store);
    const task = await store.repos.tasks.create({ type: 'migrate', subject: { kind: 'site', id: s.id, name: s.name }, requestedBy: ADMIN });
    for (let i = 0; i < 3; i++) {
      await store.repos.platforms.appendBuildLog(p.id, [`build ${i}a`, `build ${i}b`]);
      await store.repos.tasks.appendLog(task.id, [{ at: new Date(), level: 'info', message: `step ${i}` }]);
    }
    const count = (table: string) => store.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)!.n;
    expect(count('platform_build_log')).toBe(6);
    expect(count('task_log')).toBe(3);
    expect((await store.repos.platforms.get(p.id))!.buildLog).toEqual(['build 0a', 'build 0b', 'build 1a', 'build 1b', 'build 2a', 'build 2b']);
    expect((await store.repos.tasks.get(task.id))!.log.map((l) => l.message)).toEqual(['step 0', 'step 1', 'step 2']);
  });
});

describe('commits', () => {
  test('concurrent writes commit together; one failing write fails alone', async () => {
    const { repos } = openStore();
    const results = await Promise.allSettled(['a', 'b', 'dup', 'dup', 'c'].map((slug) => repos.distributions.create({ slug, title: slug })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await repos.distributions.list()).items.map((d) => d.slug)).toEqual(['a', 'b', 'c', 'dup']);
  });

  test('transaction(): all its calls (job enqueue included) commit together, or none; others wait and never see half', async () => {
    const store = openStore();
    const { s } = await seed(store);
    const jobs = store.queue();
    const subject = { kind: 'site' as const, id: s.id, name: s.name };
    await expect(
      store.repos.transaction(async () => {
        await store.repos.tasks.create({ type: 'migrate', subject, requestedBy: ADMIN });
        await jobs.enqueue('site.migrate', { taskId: 'x' }, { uniqueKey: 'migrate:x' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await store.repos.tasks.list()).total).toBe(0);
    expect(await jobs.list()).toEqual([]);

    let seenInside = -1;
    let seenOutside = -1;
    await Promise.all([
      store.repos.transaction(async () => {
        await store.repos.tasks.create({ type: 'migrate', subject, requestedBy: ADMIN });
        seenInside = (await store.repos.tasks.list()).total;
        await new Promise((r) => setTimeout(r, 20));
        await jobs.enqueue('site.migrate', { taskId: 'y' }, { uniqueKey: 'migrate:y' });
      }),
      (async () => {
        await new Promise((r) => setTimeout(r, 5));
        seenOutside = (await store.repos.tasks.list()).total;
        // The outsider waited for the commit: it sees the task and the job together.
        expect(await jobs.list()).toHaveLength(1);
      })(),
    ]);
    expect([seenInside, seenOutside]).toEqual([1, 1]);
  });

  test('a full database refuses writes with StorageFullError (Slack tells it plainly), keeps reads, and recovers', async () => {
    const store = openStore();
    const { d } = await seed(store);
    store.db.setMaxPages(store.db.pageCount());
    const writes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => store.repos.distributions.create({ slug: `x${i}`, title: 'y'.repeat(2000) })),
    );
    const refused = writes.filter((w) => w.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageFullError);
    expect(await store.repos.distributions.get(d.id)).toMatchObject({ slug: 'social' });
    const reply = errorMessage((refused[0] as PromiseRejectedResult).reason, silentLogger());
    expect(reply.text).toMatch(/disk holding the database is full; nothing was saved/);
    expect(JSON.stringify(reply.blocks)).toContain(':floppy_disk:');

    store.db.setMaxPages(1 << 30);
    await expect(store.repos.distributions.create({ slug: 'later', title: 'fits again' })).resolves.toMatchObject({ slug: 'later' });
  });
  test('a transaction hit by a full disk midway saves all of its calls or none, never half', async () => {
    const { db, repos } = openStore();
    await repos.distributions.create({ slug: 'first', title: 'x' });
    const outcome = await repos
      .transaction(async () => {
        await repos.distributions.create({ slug: 'a', title: 'a' });
        db.setMaxPages(db.pageCount());
        await repos.distributions.create({ slug: 'big', title: 'y'.repeat(20_000) }).catch((e: unknown) => e);
        await repos.distributions.create({ slug: 'b', title: 'b' });
      })
      .then(() => 'committed', (e: unknown) => e);
    db.setMaxPages(1 << 30);
    const slugs = (await repos.distributions.list()).items.map((d) => d.slug);
    if (outcome === 'committed') expect(slugs).toEqual(expect.arrayContaining(['a', 'b', 'first']));
    else expect(slugs).toEqual(['first']);
  });
});

describe('jobs across a restart', () => {
  test('queued jobs survive a close and run after reopening; jobs a dead process left running are queued again', async () => {
    const first = openStore();
    const q1 = first.queue();
    await q1.enqueue('work', { n: 1 });
    await q1.enqueue('work', { n: 2 });
    // As if a worker had claimed n=2 and the process died.
    first.db.run(`UPDATE jobs SET state = 'running', owner = 'dead' WHERE data = '{"n":2}'`);
    await first.repos.close();
    open.splice(0);

    const second = openStore();
    const q2 = second.queue({ pollIntervalMs: 5 });
    const ran: number[] = [];
    q2.define<{ n: number }>('work', async ({ n }) => void ran.push(n));
    await q2.start();
    await waitFor(() => ran.length === 2, 'both jobs ran');
    await q2.stop();
    expect(ran.sort()).toEqual([1, 2]);
  });
});

describe('import of the old JSON snapshot', () => {
  const at = (iso: string) => ({ $date: iso });
  const snapshot = (over: Record<string, unknown> = {}) => ({
    version: 1,
    taskSeq: 41,
    distributions: {
      d1: { slug: 'social', title: 'Social', description: '', channel: 'C1', upstream: null, policy: { pollIntervalMinutes: 60, autoTarget: true }, targetPlatformId: 'p1', pollState: { seen: '2024-05-21T09:17:29.000Z' }, createdAt: at('2024-01-01T00:00:00.000Z'), updatedAt: at('2024-01-02T00:00:00.000Z') },
    },
    platforms: {
      p1: { name: 'social-1', distributionId: 'd1', source: { ref: '1', commit: COMMIT }, manifest: { format: 'none', packages: [], files: {} }, status: 'ready', createdBy: ADMIN, server: 'local', path: '/srv/p1', buildLog: ['cloned', 'built'], createdAt: at('2024-01-01T00:00:00.000Z'), updatedAt: at('2024-01-01T00:00:00.000Z') },
    },
    sites: {
      s1: { name: 'a.example.org', platformId: 'p1', status: 'enabled', modules: ['x'], history: [{ platformId: 'p1', from: at('2024-01-03T00:00:00.000Z') }], createdAt: at('2024-01-03T00:00:00.000Z'), updatedAt: at('2024-01-03T00:00:00.000Z') },
    },
    tasks: {
      t1: { number: 41, type: 'migrate', subject: { kind: 'site', id: 's1', name: 'a.example.org' }, fromPlatformId: 'p1', toPlatformId: 'p1', planId: null, state: 'succeeded', requestedBy: ADMIN, confirmedBy: null, log: [{ at: at('2024-01-04T00:00:00.000Z'), level: 'info', message: 'done' }], step: 'verify', checkpoint: { backup: '/tmp/b.tar' }, attempts: 1, lease: { owner: 'w', until: at('2024-01-04T00:10:00.000Z') }, error: null, createdAt: at('2024-01-04T00:00:00.000Z'), startedAt: at('2024-01-04T00:00:00.000Z'), finishedAt: at('2024-01-04T00:05:00.000Z') },
    },
    plans: {},
    ...over,
  });
  const writeSnapshot = (content: unknown) => {
    const path = join(dir, 'distro.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  test('everything is imported once, dates and logs intact, numbering continued; the file is kept as a backup', async () => {
    const path = writeSnapshot(snapshot());
    const store = openStore();
    expect(await importSnapshotOnce(store.db, store.repos, path, silentLogger())).toBe(4);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('distro.json.imported-'))).toHaveLength(1);
    const d = (await store.repos.distributions.get('d1'))!;
    expect(d).toMatchObject({ slug: 'social', targetPlatformId: 'p1', pollState: { seen: '2024-05-21T09:17:29.000Z' } });
    expect(d.createdAt).toEqual(new Date('2024-01-01T00:00:00.000Z'));
    expect((await store.repos.platforms.get('p1'))!.buildLog).toEqual(['cloned', 'built']);
    expect((await store.repos.sites.getByName('a.example.org'))!.history).toEqual([{ platformId: 'p1', from: new Date('2024-01-03T00:00:00.000Z') }]);
    const t = (await store.repos.tasks.getByNumber(41))!;
    expect(t).toMatchObject({ state: 'succeeded', checkpoint: { backup: '/tmp/b.tar' }, lease: { owner: 'w', until: new Date('2024-01-04T00:10:00.000Z') } });
    expect(t.log).toEqual([{ at: new Date('2024-01-04T00:00:00.000Z'), level: 'info', message: 'done' }]);
    const next = await store.repos.tasks.create({ type: 'install', subject: { kind: 'site', id: 's1', name: 'a.example.org' }, requestedBy: ADMIN });
    expect(next.number).toBe(42);
    // A snapshot appearing again later (a restored backup) is not imported over live data.
    writeSnapshot(snapshot());
    expect(await importSnapshotOnce(store.db, store.repos, path, silentLogger())).toBe(0);
    expect((await store.repos.tasks.list()).total).toBe(2);
  });

  test.each([
    ['a site on a missing platform', snapshot({ sites: { s1: { ...snapshot().sites.s1, platformId: 'gone' } } }), /site s1 \(a\.example\.org\): No platform named `gone`/],
    ['an invalid date', JSON.stringify(snapshot()).replace('2024-01-02T00:00:00.000Z', 'yesterday'), /invalid date\(s\) "updatedAt": "yesterday"/],
    ['another format', { hello: 'world' }, /not a Distro version 1 snapshot/],
    ['half a file', JSON.stringify(snapshot()).slice(0, 300), /JSON/],
  ])('%s: refused naming the problem; nothing imported, the file left as it is', async (_what, content, problem) => {
    const path = writeSnapshot(content);
    const before = readFileSync(path, 'utf8');
    const store = openStore();
    const attempt = importSnapshotOnce(store.db, store.repos, path, silentLogger());
    await expect(attempt).rejects.toBeInstanceOf(StoreUnusableError);
    await expect(importSnapshotOnce(store.db, store.repos, path, silentLogger())).rejects.toThrow(problem);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect((await store.repos.distributions.list()).total).toBe(0);
    expect((await store.repos.platforms.list()).total).toBe(0);
  });
});

describe('a full disk under the job queue', () => {
  test('a recurring job whose end cannot be recorded is not stuck: the end is written once space is freed, and it runs again', async () => {
    const store = openStore();
    await seed(store);
    const queue = store.queue({ pollIntervalMs: 5 });
    let runs = 0;
    let fill = true;
    queue.define('tick', async () => {
      runs += 1;
      if (fill) {
        fill = false;
        // The disk fills while the job runs: no free page is left for anything that grows.
        store.db.setMaxPages(store.db.pageCount());
        for (let i = 0; ; i++) {
          const full = await store.repos.distributions.create({ slug: `fill${i}`, title: 'f'.repeat(2000) }).then(() => false, (e: unknown) => e instanceof StorageFullError);
          if (full) break;
        }
        // Its end (a failure with a long reason) needs room the disk no longer has.
        throw new Error(`tick failed: ${'x'.repeat(20_000)}`);
      }
    });
    await queue.start();
    await queue.every('tick', 20, {}, { uniqueKey: 'tick' });
    await waitFor(() => runs === 1 && !fill, 'the first run');
    // While full: no second run (its end is not recorded yet), and the row is still running under this queue.
    await waitFor(async () => (await queue.list('tick'))[0]?.state === 'running', 'the job to be running');
    const before = runs;
    store.db.setMaxPages(1 << 30);
    await waitFor(() => runs > before, 'the recurring job to run again once space is freed', 20_000);
    await queue.stop();
    const [job] = await queue.list('tick');
    expect(job!.lastError ?? '').toMatch(/^(tick failed|$)/);
  });
});
