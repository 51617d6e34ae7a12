/**
 * What every JobQueue adapter must do. Waits are bounded polls for an observable outcome (a handler ran,
 * a log line appeared), never assertions about how long something took.
 */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import { contractTest } from '../support/mongo-wire-gaps.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { TransientError, ValidationError } from '../../src/domain/errors.js';
import type { JobContext, JobQueue } from '../../src/domain/ports.js';
import type { Logger } from '../../src/logger.js';
import { waitFor } from '../support/wait.js';

export interface QueueBackend {
  /** A new queue on the shared backend (queues of one backend act as workers of one deployment). */
  createQueue(options?: { owner?: string; logger?: Logger }): JobQueue;
  cleanup(): Promise<void>;
}
export type QueueFactory = () => Promise<QueueBackend>;

export { waitFor };

/** A pino logger that keeps its records for assertions. */
export const capturingLogger = (): { logger: Logger; records: Array<{ level: number; msg: string; job?: string }> } => {
  const records: Array<{ level: number; msg: string; job?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records };
};

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

export const jobQueueContract = (name: string, factory: QueueFactory): void => {
  const test = contractTest('job queue', name);
  describe(`JobQueue contract [${name}]`, () => {
    let backend: QueueBackend;
    beforeEach(async () => {
      backend = await factory();
    });
    afterEach(async () => backend.cleanup());

    test('backlog: due, untaken jobs per name with the oldest due time; future runs and request ids aside', async () => {
      const q = backend.createQueue();
      q.define('a.job', async () => undefined);
      q.define('b.job', async () => undefined);
      const now = new Date();
      await q.enqueue('a.job', { n: 1 }, { runAt: new Date(now.getTime() - 60_000) });
      await q.enqueue('a.job', { n: 2 }, { runAt: new Date(now.getTime() - 5_000) });
      await q.enqueue('b.job', { n: 3 }, { runAt: new Date(now.getTime() - 1_000) });
      await q.enqueue('b.job', { n: 4 }, { runAt: new Date(now.getTime() + 3_600_000) });
      const backlog = await q.backlog(now);
      expect(backlog.map((b) => [b.name, b.due])).toEqual([
        ['a.job', 2],
        ['b.job', 1],
      ]);
      expect(Math.abs(backlog[0]!.oldestDueAt.getTime() - (now.getTime() - 60_000))).toBeLessThan(1000);
      expect(await q.backlog(new Date(now.getTime() - 120_000))).toEqual([]);
    });

    test('runs an enqueued job with its data once started; a queue that is not started only enqueues', async () => {
      const q = backend.createQueue();
      const seen: Array<{ data: unknown; ctx: JobContext }> = [];
      q.define<{ site: string }>('greet', async (data, ctx) => void seen.push({ data, ctx }));
      await q.enqueue('greet', { site: 'a.example.org' });
      expect(await q.stats()).toMatchObject({ started: false, queued: 1, running: 0 });
      expect(seen).toHaveLength(0);
      await q.start();
      await waitFor(() => seen.length === 1, 'job ran');
      expect(seen[0]!.data).toEqual({ site: 'a.example.org' });
      expect(seen[0]!.ctx.attempt).toBe(1);
      expect(seen[0]!.ctx.signal.aborted).toBe(false);
      expect((await q.stats()).started).toBe(true);
    });

    test('a web-role queue enqueues and a worker queue on the same backend runs it', async () => {
      const web = backend.createQueue({ owner: 'web' });
      const worker = backend.createQueue({ owner: 'worker' });
      let ran = 0;
      worker.define('work', async () => void ran++);
      await worker.start();
      await web.enqueue('work', {});
      await waitFor(() => ran === 1, 'worker ran the web job');
    });

    test('uniqueKey: not enqueued again while unfinished (queued or running), again once finished', async () => {
      const q = backend.createQueue();
      const runs: string[] = [];
      const gate = deferred();
      q.define<{ tag: string }>(
        'poll',
        async ({ tag }) => {
          runs.push(tag);
          if (tag === 'first') await gate.promise;
        },
        { concurrency: 1 },
      );
      await q.enqueue('poll', { tag: 'first' }, { uniqueKey: 'dist-1' });
      await q.enqueue('poll', { tag: 'dup-queued' }, { uniqueKey: 'dist-1' });
      expect((await q.stats()).queued).toBe(1);
      await q.start();
      await waitFor(() => runs.length === 1, 'first run started');
      await q.enqueue('poll', { tag: 'dup-running' }, { uniqueKey: 'dist-1' });
      await q.enqueue('poll', { tag: 'sentinel' }, { uniqueKey: 'dist-2' });
      gate.resolve();
      // Concurrency 1 and oldest first: a duplicate, had it been enqueued, would run before the sentinel.
      await waitFor(() => runs.includes('sentinel'), 'sentinel ran');
      expect(runs).toEqual(['first', 'sentinel']);
      await q.enqueue('poll', { tag: 'again' }, { uniqueKey: 'dist-1' });
      await waitFor(() => runs.includes('again'), 'finished key can run again');
    });

    test('runAt in the future is not run early', async () => {
      const q = backend.createQueue();
      const runs: string[] = [];
      q.define<string>('later', async (tag) => void runs.push(tag), { concurrency: 1 });
      await q.enqueue('later', 'tomorrow', { runAt: new Date(Date.now() + 86_400_000) });
      await q.enqueue('later', 'now');
      await q.start();
      await waitFor(() => runs.length === 1, 'immediate job ran');
      await q.enqueue('later', 'now-2');
      await waitFor(() => runs.length === 2, 'second immediate job ran');
      expect(runs).toEqual(['now', 'now-2']);
      expect((await q.stats()).queued).toBe(1);
    });

    test('TransientError is retried with backoff until it succeeds', async () => {
      const q = backend.createQueue();
      const attempts: number[] = [];
      q.define(
        'flaky',
        async (_data, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new TransientError('upstream 503');
        },
        { maxAttempts: 3, backoffMs: 2 },
      );
      await q.start();
      await q.enqueue('flaky', {});
      await waitFor(() => attempts.length === 3, 'third attempt');
      expect(attempts).toEqual([1, 2, 3]);
    });

    test('TransientError stops after maxAttempts; the final failure is logged as an error', async () => {
      const { logger, records } = capturingLogger();
      const q = backend.createQueue({ logger });
      const attempts: number[] = [];
      q.define(
        'down',
        async (_data, ctx) => {
          attempts.push(ctx.attempt);
          throw new TransientError('still down', 1);
        },
        { maxAttempts: 2, backoffMs: 1 },
      );
      await q.start();
      await q.enqueue('down', {});
      await waitFor(() => records.some((r) => r.msg === 'job failed'), 'final failure logged');
      expect(attempts).toEqual([1, 2]);
      expect(records.filter((r) => r.msg === 'job failed; retrying')).toHaveLength(1);
      expect(records.find((r) => r.msg === 'job failed')).toMatchObject({ level: 50, job: 'down' });
    });

    test('any other error fails the job without retry, and is logged', async () => {
      const { logger, records } = capturingLogger();
      const q = backend.createQueue({ logger });
      const attempts: number[] = [];
      q.define(
        'broken',
        async (_data, ctx) => {
          attempts.push(ctx.attempt);
          throw new ValidationError('bad data');
        },
        { maxAttempts: 5, backoffMs: 1 },
      );
      await q.start();
      await q.enqueue('broken', {});
      await waitFor(() => records.some((r) => r.msg === 'job failed'), 'failure logged');
      expect(attempts).toEqual([1]);
      expect(records.filter((r) => r.msg === 'job failed; retrying')).toHaveLength(0);
    });

    test('concurrency per job name is never exceeded, and is used', async () => {
      const q = backend.createQueue();
      let current = 0;
      let max = 0;
      let done = 0;
      q.define(
        'move',
        async () => {
          current += 1;
          max = Math.max(max, current);
          // Hold until a second one runs alongside (or nothing is left to start), so the limit is reached.
          await waitFor(() => current >= 2 || done >= 5, 'a second concurrent run');
          await new Promise((r) => setTimeout(r, 5));
          current -= 1;
          done += 1;
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 6; i++) await q.enqueue('move', { i });
      await q.start();
      await waitFor(() => done === 6, 'all six ran');
      expect(max).toBe(2);
    });

    test('stop() aborts ctx.signal and waits for the running handler to finish', async () => {
      const q = backend.createQueue();
      const started = deferred();
      let finished = false;
      let sawAbort = false;
      q.define('long', async (_data, ctx) => {
        started.resolve();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort = ctx.signal.aborted;
        await new Promise((r) => setTimeout(r, 20));
        finished = true;
      });
      await q.start();
      await q.enqueue('long', {});
      await started.promise;
      await q.stop();
      expect(finished).toBe(true);
      expect(sawAbort).toBe(true);
      expect(await q.stats()).toMatchObject({ started: false, running: 0 });
    });

    test('a handler interrupted by stop() is run again by the next worker', async () => {
      const first = backend.createQueue({ owner: 'w1' });
      const runs: string[] = [];
      const started = deferred();
      first.define('resumable', async (_d, ctx) => {
        runs.push('w1');
        started.resolve();
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        throw new Error('interrupted at a safe point');
      });
      await first.start();
      await first.enqueue('resumable', {});
      await started.promise;
      await first.stop();
      const second = backend.createQueue({ owner: 'w2' });
      second.define('resumable', async () => void runs.push('w2'));
      await second.start();
      await waitFor(() => runs.includes('w2'), 'second worker resumed the job');
      expect(runs).toEqual(['w1', 'w2']);
    });

    test('every: runs repeatedly; calling again replaces data and interval; cancelRecurring stops it', async () => {
      const q = backend.createQueue();
      const seen: string[] = [];
      q.define<{ v: string }>('tick', async ({ v }) => void seen.push(v));
      await q.every('tick', 10, { v: 'a' }, { uniqueKey: 'poll:social' });
      await q.every('tick', 10, { v: 'a' }, { uniqueKey: 'poll:social' });
      await q.every('tick', 10, { v: 'other' }, { uniqueKey: 'poll:other' });
      expect((await q.stats()).queued).toBe(2);
      await q.cancelRecurring('poll:other');
      expect((await q.stats()).queued).toBe(1);
      await q.start();
      await waitFor(() => seen.filter((v) => v === 'a').length >= 3, 'three runs');
      await q.every('tick', 5, { v: 'b' }, { uniqueKey: 'poll:social' });
      await waitFor(() => seen.filter((v) => v === 'b').length >= 2, 'runs with new data');
      // Once the new data is in use the old never comes back, and only one schedule exists.
      expect(seen.slice(seen.indexOf('b'))).not.toContain('a');
      expect(seen).not.toContain('other');
      await q.cancelRecurring('poll:social');
      await waitFor(async () => {
        const s = await q.stats();
        return s.queued === 0 && s.running === 0;
      }, 'recurring job gone');
    });

    test('uniqueKey: 10 racing enqueues from two web processes make one job', async () => {
      const [web1, web2] = [backend.createQueue({ owner: 'web1' }), backend.createQueue({ owner: 'web2' })];
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? web1 : web2).enqueue('install', { i }, { uniqueKey: 'site-1' })));
      expect((await web1.stats()).queued).toBe(1);
    });

    test('uniqueKey: a job that failed for good frees its key', async () => {
      const q = backend.createQueue();
      const runs: number[] = [];
      q.define<{ i: number }>(
        'install',
        async ({ i }) => {
          runs.push(i);
          throw new Error('install failed for good');
        },
        { maxAttempts: 1 },
      );
      await q.enqueue('install', { i: 1 }, { uniqueKey: 'site-1' });
      await q.start();
      await waitFor(() => runs.length === 1, 'the job ran');
      await waitFor(async () => (await q.stats()).running === 0, 'the failed job finished');
      await q.enqueue('install', { i: 2 }, { uniqueKey: 'site-1' });
      await waitFor(() => runs.includes(2), 'a new job of the freed key ran');
      expect(runs).toEqual([1, 2]);
    });

    test('two workers sharing a backend run each job exactly once', async () => {
      const runs = new Map<number, string[]>();
      const queues = ['w1', 'w2'].map((owner) => {
        const q = backend.createQueue({ owner });
        q.define<{ n: number }>(
          'build',
          async ({ n }) => {
            runs.set(n, [...(runs.get(n) ?? []), owner]);
            await new Promise((r) => setTimeout(r, 1));
          },
          { concurrency: 3 },
        );
        return q;
      });
      await Promise.all(queues.map((q) => q.start()));
      await Promise.all(Array.from({ length: 20 }, (_, n) => queues[n % 2]!.enqueue('build', { n })));
      await waitFor(() => runs.size === 20, 'all 20 jobs ran');
      await Promise.all(queues.map((q) => q.stop()));
      for (const owners of runs.values()) expect(owners).toHaveLength(1);
    });
  });
};
