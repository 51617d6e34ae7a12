/**
 * What the port contracts cannot see of the MongoDB adapters: their lifecycle on a shared connection, the
 * unique indexes the race guarantees rest on, stale migration slots, and Agenda details (released locks, one
 * recurring schedule per key).
 */
import { afterEach, beforeEach, expect } from '@jest/globals';
import { type Connection, Types } from 'mongoose';
import { TransientError } from '../../src/domain/errors.js';
import { AgendaJobQueue, type AgendaJobQueueOptions } from '../../src/jobs/agenda-queue.js';
import { connectMongo, createMongoRepositories } from '../../src/persistence/mongo/mongo-repositories.js';
import { databaseUri, describeWithMongo } from '../support/mongo.js';
import { contractTest } from '../support/mongo-wire-gaps.js';
import { waitFor } from '../support/wait.js';

/** Lets a rejection nobody handled reach the process's unhandledRejection listeners. */
const settle = () => new Promise((r) => setImmediate(r)).then(() => new Promise((r) => setImmediate(r)));

await describeWithMongo('MongoDB adapters', (server) => {
  const test = contractTest('MongoDB adapters', server.backend);
  let connection: Connection;
  const queues: AgendaJobQueue[] = [];
  const queue = (options: Omit<AgendaJobQueueOptions, 'connection'> = {}) => {
    // A short lock lifetime keeps Agenda's per-job liveness timers from outliving the test file.
    const q = new AgendaJobQueue({ connection, processEveryMs: 20, lockLifetimeMs: 2000, ...options });
    queues.push(q);
    return q;
  };
  beforeEach(async () => {
    connection = await connectMongo(databaseUri(server.uri));
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.stop()));
    if (connection.readyState === 1) await connection.dropDatabase();
    await connection.close();
  });

  test('a queue that never started (web role) can be stopped and its connection closed at once', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const own = await connectMongo(databaseUri(server.uri));
      const q = new AgendaJobQueue({ connection: own });
      await q.stop();
      await own.close();
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a queue whose setup failed says so instead of waiting forever', async () => {
    const own = await connectMongo(databaseUri(server.uri));
    await own.close();
    const q = new AgendaJobQueue({ connection: own });
    await expect(q.enqueue('x', {})).rejects.toThrow(TransientError);
    await expect(q.stats()).rejects.toThrow(/Job queue is not available/);
    await expect(q.start()).rejects.toThrow(TransientError);
    await q.stop();
  });

  test('stop() releases a job it had fetched but not started, so the next worker need not wait out the lock', async () => {
    // A long poll interval makes the first scan fetch (lock) a job due before the next scan, and wait for it.
    const q = queue({ owner: 'w1', processEveryMs: 15_000 });
    const runs: string[] = [];
    q.define('later', async () => void runs.push('ran'));
    await q.enqueue('later', {}, { runAt: new Date(Date.now() + 10_000) });
    expect((await q.stats()).queued).toBe(1);
    await q.start();
    await waitFor(async () => (await q.stats()).queued === 0, 'job fetched and locked by w1');
    await q.stop();
    expect(runs).toEqual([]);
    expect((await q.stats()).queued).toBe(1);
  });

  test('a long job keeps its lock (touch) and runs once; a job locked by a dead worker is run by another after the lock lifetime', async () => {
    const [w1, w2] = [queue({ owner: 'w1', lockLifetimeMs: 400 }), queue({ owner: 'w2', lockLifetimeMs: 400 })];
    const runs: string[] = [];
    for (const [q, owner] of [[w1, 'w1'], [w2, 'w2']] as const) {
      q.define<{ ms: number; tag: string }>('long', async ({ ms, tag }) => {
        runs.push(`${tag}@${owner}`);
        await new Promise((r) => setTimeout(r, ms));
      });
    }
    // Three lock lifetimes long: without the heartbeat the other worker would take it over and run it again.
    await w1.enqueue('long', { ms: 1200, tag: 'long' });
    await w1.start();
    await waitFor(() => runs.length === 1, 'the long job started');
    await w2.start();
    await waitFor(async () => (await w1.stats()).running === 0, 'the long job finished', 10_000);
    expect(runs).toEqual(['long@w1']);

    // A job a dead worker had locked (lockedAt set, nobody touching it) is taken over once the lock expires.
    await w2.stop();
    await w1.stop();
    await w1.enqueue('long', { ms: 1, tag: 'orphan' }, { runAt: new Date(Date.now() + 60_000) });
    await connection.db!.collection('agendaJobs').updateOne(
      { 'data.payload.tag': 'orphan' },
      { $set: { lockedAt: new Date(), nextRunAt: new Date(), lastModifiedBy: 'dead-worker' } },
    );
    const survivor = queue({ owner: 'w3', lockLifetimeMs: 400 });
    survivor.define<{ tag: string }>('long', async ({ tag }) => void runs.push(`${tag}@w3`));
    await survivor.start();
    await waitFor(() => runs.includes('orphan@w3'), 'the survivor to run the dead worker\'s job', 10_000);
  });

  test('migration slots: a holder left by a crash (task no longer processing) is taken over after the grace period, a fresh one is not', async () => {
    const repos = await createMongoRepositories(connection);
    const task = (s: string) =>
      repos.tasks.create({ type: 'migrate', subject: { kind: 'site', id: s, name: `${s}.example.org` }, requestedBy: { kind: 'user', id: 'UADMIN', name: 'admin' } });
    const [crashed, inFlight, next] = [await task('s1'), await task('s2'), await task('s3')];
    const until = new Date(Date.now() + 60_000);
    expect((await repos.tasks.claimWithinLimits(crashed.id, 'w1', until, new Date(), { 'server:web1': 1 })).task?.id).toBe(crashed.id);
    // The process died between finishing the task and freeing its slot: the task is done, its holder remains.
    const slots = connection.db!.collection('migrationslotkeys');
    await connection.db!.collection('tasks').updateOne({ _id: new Types.ObjectId(crashed.id) }, { $set: { state: 'succeeded' } });
    expect(await repos.tasks.claimWithinLimits(next.id, 'w2', until, new Date(), { 'server:web1': 1 })).toEqual({ task: null, busy: ['server:web1'] });
    // Past the grace period it is stale and taken over; a queued task's fresh holder (a claim in flight) is not.
    await slots.updateOne({ key: 'server:web1' }, { $set: { 'holders.0.at': new Date(Date.now() - 3_600_000) } });
    await slots.updateOne({ key: 'server:web2' }, { $set: { holders: [{ taskId: inFlight.id, at: new Date() }] } }, { upsert: true });
    expect((await repos.tasks.claimWithinLimits(next.id, 'w2', until, new Date(), { 'server:web1': 1 })).task?.id).toBe(next.id);
    const other = await task('s4');
    expect(await repos.tasks.claimWithinLimits(other.id, 'w3', until, new Date(), { 'server:web2': 1 })).toEqual({ task: null, busy: ['server:web2'] });
    const docs = await slots.find({}).sort({ key: 1 }).toArray();
    expect(docs.map((d) => ({ key: d.key, holders: (d.holders as { taskId: string }[]).map((h) => h.taskId) }))).toEqual([
      { key: 'server:web1', holders: [next.id] },
      { key: 'server:web2', holders: [inFlight.id] },
    ]);
  });

  test('two workers declaring the same recurring schedule at once keep one schedule', async () => {
    const [a, b] = [queue({ owner: 'w1' }), queue({ owner: 'w2' })];
    await Promise.all([
      a.every('tick', 60_000, { v: 1 }, { uniqueKey: 'poll:social' }),
      b.every('tick', 60_000, { v: 1 }, { uniqueKey: 'poll:social' }),
    ]);
    expect((await a.stats()).queued).toBe(1);
    await Promise.all([
      a.every('tick', 30_000, { v: 2 }, { uniqueKey: 'poll:social' }),
      b.every('tick', 30_000, { v: 2 }, { uniqueKey: 'poll:social' }),
    ]);
    expect((await b.stats()).queued).toBe(1);
  });

  test('the unique indexes behind the race guarantees exist before the adapters are handed out', async () => {
    await createMongoRepositories(connection);
    await queue().stats();
    const uniques = async (collection: string) =>
      (await connection.db!.collection(collection).listIndexes().toArray())
        .filter((i) => i.unique && i.name !== '_id_')
        .map((i) => ({ key: i.key, ...(i.partialFilterExpression ? { partial: i.partialFilterExpression } : {}) }));
    expect(await uniques('distributions')).toEqual([{ key: { slug: 1 } }]);
    expect(await uniques('platforms')).toEqual([{ key: { name: 1 } }, { key: { distributionId: 1, 'source.commit': 1 } }]);
    expect(await uniques('sites')).toEqual([{ key: { name: 1 } }]);
    expect(await uniques('tasks')).toEqual([
      { key: { number: 1 } },
      { key: { activeKey: 1 }, partial: { activeKey: { $type: 'string' } } },
    ]);
    expect(await uniques('counters')).toEqual([{ key: { name: 1 } }]);
    expect(await uniques('redeliveries')).toEqual([{ key: { key: 1 } }]);
    expect(await uniques('migrationslotkeys')).toEqual([{ key: { key: 1 } }]);
    const ttl = (await connection.db!.collection('redeliveries').listIndexes().toArray()).find((i) => i.expireAfterSeconds !== undefined);
    expect(ttl).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
    expect(await uniques('agendaJobs')).toEqual([
      { key: { 'data.recurringKey': 1 }, partial: { 'data.recurringKey': { $type: 'string' } } },
      { key: { 'data.activeKey': 1 }, partial: { 'data.activeKey': { $type: 'string' } } },
    ]);
  });
});
