/**
 * MongoDB going away, over real HTTP and real processes, with the MongoDB-wire stand-in as the server:
 * - at start, an unreachable MongoDB is one sentence naming the host (credentials redacted) and what to check;
 *   MONGODB_FAIL_FAST=true exits with 69, otherwise the process retries until the server appears, then serves;
 * - while running, losing MongoDB turns /healthz to 503, and it recovers by itself when the server is back.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { MONGO_UNAVAILABLE_EXIT_CODE } from '../../src/persistence/mongo/open-mongo.js';
import { bundleApp } from '../support/app-process.js';
import { startDistroProcess } from '../support/distro-process.js';
import { freePort } from '../support/free-port.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { startWireServer, type WireServer } from '../support/mongo-wire-server.mjs';
import { waitFor } from '../support/wait.js';

let dir: string;
let bundle: string;
/** The real process, bundled: tsx's compile at each start took most of these tests' time on a busy machine. */
const startProcess = (env: Record<string, string>) => startDistroProcess(env, { bundle });
beforeAll(async () => {
  dir = await makeTempDir('distro-outage-');
  bundle = bundleApp('mongo-outage');
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('an unreachable MongoDB at start', () => {
  test('MONGODB_FAIL_FAST=true: one sentence naming the host, credentials redacted, exit code 69', async () => {
    const port = await freePort();
    const run = startProcess({
      MONGODB_URI: `mongodb://distro:s3cret-pw@127.0.0.1:${port}/distro`,
      MONGODB_FAIL_FAST: 'true',
      PORT: '0',
      DATA_DIR: join(dir, 'fail-fast'),
    });
    try {
      expect(await run.exited).toBe(MONGO_UNAVAILABLE_EXIT_CODE);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    const lines = run.stderr.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`MongoDB at 127.0.0.1:${port} is not reachable`);
    expect(lines[0]).toContain(`MONGODB_URI (mongodb://***@127.0.0.1:${port}/distro)`);
    expect(lines[0]).toMatch(/Check that the server is running/);
    expect(run.stderr.join('') + run.stdout.join('')).not.toContain('s3cret-pw');
    expect(run.stderr.join('')).not.toMatch(/\n\s+at /); // no stack trace
  }, 150_000);

  test('otherwise it says so once per attempt, retries with backoff, and serves once the server is up', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const run = startProcess({ MONGODB_URI: `mongodb://127.0.0.1:${port}/distro`, PORT: String(httpPort), DATA_DIR: join(dir, 'retry') });
    let server: WireServer | null = null;
    try {
      await waitFor(() => run.stdout.join('').includes('Retrying in'), 'a retry notice', 60_000);
      const notice = JSON.parse(run.stdout.join('').split('\n').find((l) => l.includes('Retrying in'))!) as { msg: string };
      expect(notice.msg).toMatch(new RegExp(`^MongoDB at 127\\.0\\.0\\.1:${port} is not reachable \\(.+\\)\\. Check that`));
      expect(run.child.exitCode).toBeNull();
      server = await startWireServer({ port });
      // Bound from the retry schedule: the backoff's longest wait (30 s) and one attempt (5 s) until it connects, then a
      // start that the untilUp helpers allow 60 s; 90 s ran out with two CPU-bound processes beside the run.
      await waitFor(
        async () => fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.status === 200, () => false),
        'the process to serve once MongoDB is up',
        30_000 + 5_000 + 60_000 + 30_000,
      ).catch((error: unknown) => {
        // What the process said is the diagnosis: which attempts failed and why.
        throw new Error(`${String(error)}\nstdout:\n${run.stdout.join('').slice(-3000)}\nstderr:\n${run.stderr.join('').slice(-1000)}`);
      });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.stderr.join('')).toBe('');
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await server?.stop();
    }
  }, 240_000);
});

describe('losing MongoDB while running', () => {
  let server: WireServer;
  let app: DistroApp;
  afterAll(async () => {
    await app?.stop().catch(() => undefined);
    await server?.stop();
  });

  test('/healthz turns 503 while MongoDB is gone and 200 again when it is back, by itself', async () => {
    server = await startWireServer();
    const config = loadConfig({ MONGODB_URI: `${server.uri.replace('/?', '/distro_outage?')}`, PORT: '0', DATA_DIR: join(dir, 'running'), LOG_LEVEL: 'silent' });
    app = await buildApp(config, { logger: silentLogger() });
    await app.start();
    const health = () => fetch(`${app.url}/healthz`).then(async (r) => ({ status: r.status, body: (await r.json()) as { database: { ok: boolean } } }));
    expect((await health()).status).toBe(200);

    const port = server.port;
    await server.stop();
    await waitFor(async () => (await health()).status === 503, '/healthz to report the outage', 60_000);
    expect((await health()).body.database.ok).toBe(false);

    server = await startWireServer({ port });
    await waitFor(async () => (await health()).status === 200, '/healthz to recover', 90_000);
    expect((await health()).body.database.ok).toBe(true);
  }, 180_000);
});
