/**
 * The embedded store as an operator meets it, through the real process (src/main.ts) and the real HTTP app:
 * every acknowledged write survives SIGKILL, a second process on the same DATA_DIR is refused naming the first,
 * a corrupt database is refused and left untouched, a full disk answers 507, keeps serving reads and
 * recovers by itself once space is freed, and an old JSON snapshot is imported once.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { embeddedStore, type EmbeddedStore } from '../support/embedded.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { startDistroProcess as startProcess, untilUp } from '../support/distro-process.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait.js';

const postDistribution = (base: string, slug: string) =>
  fetch(`${base}/api/distributions`, {
    method: 'POST',
    // Open mode (no credentials) from localhost: a script proves same-origin with Origin.
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ slug, title: `Distribution ${slug}` }),
  });

describe('durability of the embedded store (real process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('distro-durable-');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('every write answered 201 is there after SIGKILL, over two kill/restart rounds with 8 concurrent writers', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dataDir = join(dir, 'kill');
    const acknowledged = new Set<string>();
    for (const round of [1, 2]) {
      const r = startProcess({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      await untilUp(r, base);
      let stop = false;
      let n = 0;
      const writer = async (w: number) => {
        while (!stop) {
          const slug = `r${round}-w${w}-${n++}`;
          try {
            if ((await postDistribution(base, slug)).status === 201) acknowledged.add(slug);
          } catch {
            // Cut off by the kill: never acknowledged, so it may or may not be there.
          }
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      await waitFor(() => acknowledged.size >= round * 150, `${round * 150} acknowledged writes`, 60_000);
      r.child.kill('SIGKILL');
      await r.exited;
      stop = true;
      await Promise.all(writers);
    }
    const store = embeddedStore(join(dataDir, 'distro.db'));
    const stored = new Set((await store.repos.distributions.list()).items.map((d) => d.slug));
    await store.repos.close();
    expect([...acknowledged].filter((slug) => !stored.has(slug))).toEqual([]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(300);
  }, 180_000);

  test('a second process on the same DATA_DIR is refused, naming DATA_DIR and the pid of the first; the first goes on', async () => {
    const [port, other] = [await freePort(), await freePort()];
    const dataDir = join(dir, 'two');
    const first = startProcess({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    await untilUp(first, `http://127.0.0.1:${port}`);
    try {
      const second = startProcess({ PORT: String(other), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      expect(await second.exited).toBe(75);
      const err = second.stderr.join('');
      expect(err).toContain(`DATA_DIR ${dataDir}`);
      expect(err).toContain(`pid ${first.child.pid}`);
      expect(err).toMatch(/only one process may use it/);
      expect(err).not.toMatch(/DATABASE_FILE\)/);
      // The lock is on DATA_DIR itself (its sites, platforms and backups): another database file does not get round it.
      const third = startProcess({ PORT: String(other), DATA_DIR: dataDir, DATABASE_FILE: join(dir, 'elsewhere.db'), LOG_LEVEL: 'warn' });
      expect(await third.exited).toBe(75);
      expect(third.stderr.join('')).toContain(`DATA_DIR ${dataDir} is in use by another Distro process (pid ${first.child.pid})`);
      expect((await postDistribution(`http://127.0.0.1:${port}`, 'still-mine')).status).toBe(201);
    } finally {
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    }
  }, 120_000);

  test('a database file that is not a database is refused with a message naming it, and left untouched', async () => {
    const dataDir = join(dir, 'corrupt');
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, 'distro.db');
    const garbage = Buffer.from('this is not a database, but it sits where one should be\n'.repeat(200));
    writeFileSync(file, garbage);
    const r = startProcess({ PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    expect(await r.exited).toBe(75);
    expect(r.stderr.join('')).toMatch(new RegExp(`database ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*is corrupt or not a database`));
    expect(readFileSync(file).equals(garbage)).toBe(true);
  }, 60_000);
});

/** A small tmpfs as DATA_DIR when this process may mount one (root in CI); null otherwise. */
const mountTinyDisk = (dir: string): { fill(): void; free(): void; unmount(): void } | null => {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const filler = join(dir, 'filler');
  return {
    // Writes until the disk refuses: the next database page cannot be written.
    fill: () => {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
      } catch {
        // dd ends with "No space left on device": that is the point.
      }
    },
    free: () => rmSync(filler, { force: true }),
    // Lazy: the closed database's file handle is released only when libsql's statements are collected.
    unmount: () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }),
  };
};

describe('a full disk', () => {
  let dir: string;
  let app: DistroApp;
  let store: EmbeddedStore;
  let disk: { fill(): void; free(): void; unmount(): void } | null;
  let base: string;

  beforeAll(async () => {
    dir = await makeTempDir('distro-full-');
    const dataDir = join(dir, 'data');
    disk = mountTinyDisk(dataDir);
    if (!disk) process.stdout.write('[durability] cannot mount a tmpfs here: the full disk is made with PRAGMA max_page_count\n');
    store = embeddedStore(join(dataDir, 'distro.db'));
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    app = await buildApp(config, { logger: silentLogger(), repos: store.repos, jobs: store.queue() });
    await app.start();
    base = app.url!;
  });
  afterAll(async () => {
    await app.stop();
    disk?.unmount();
    await rm(dir, { recursive: true, force: true });
  });

  test('writes answer 507 and save nothing, reads go on, and writes work again once space is freed', async () => {
    expect((await postDistribution(base, 'before')).status).toBe(201);
    const fill = disk ? () => disk!.fill() : () => store.db.setMaxPages(store.db.pageCount());
    const free = disk ? () => disk!.free() : () => store.db.setMaxPages(1 << 30);
    fill();
    // Each write needs room in the WAL or the file: keep writing (bounded) until the disk refuses one.
    let refused: Response | null = null;
    for (let i = 0; i < 500 && !refused; i++) {
      const res = await postDistribution(base, `fill-${i}`);
      if (res.status === 507) refused = res;
      else expect(res.status).toBe(201);
    }
    expect(refused).not.toBeNull();
    const body = (await refused!.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'storage_full' });
    expect(body.error.message).toMatch(/disk .* is full; nothing was saved/);
    const reads = await fetch(`${base}/api/distributions`);
    expect(reads.status).toBe(200);
    const known = ((await reads.json()) as { items: Array<{ slug: string }> }).items.map((d) => d.slug);
    expect(known).toContain('before');
    expect((await postDistribution(base, 'while-full')).status).toBe(507);
    // Readiness says so, naming it, while /healthz (reachability) stays up.
    const degraded = await fetch(`${base}/readyz`);
    expect(degraded.status).toBe(503);
    expect(((await degraded.json()) as { problems: string[] }).problems).toEqual([expect.stringMatching(/^disk full/)]);

    free();
    expect((await postDistribution(base, 'after')).status).toBe(201);
    const ready = await fetch(`${base}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 200, body: { status: 'ready', problems: [] } });
    const after = ((await (await fetch(`${base}/api/distributions`)).json()) as { items: Array<{ slug: string }> }).items.map((d) => d.slug);
    expect(after).toEqual(expect.arrayContaining(['before', 'after']));
    expect(after).not.toContain('while-full');
  });
});

describe('upgrading from the JSON snapshot store', () => {
  test('an old DATA_DIR/distro.json is imported at the first start, kept as a backup, and not imported again', async () => {
    const dataDir = await makeTempDir('distro-upgrade-');
    const at = { $date: '2025-06-01T10:00:00.000Z' };
    const old = {
      version: 1,
      taskSeq: 7,
      distributions: {
        d1: { slug: 'social', title: 'Open Social', description: '', channel: null, upstream: null, policy: { pollIntervalMinutes: 0, autoTarget: false }, targetPlatformId: null, pollState: {}, createdAt: at, updatedAt: at },
      },
      platforms: {},
      sites: {},
      tasks: {},
      plans: {},
    };
    writeFileSync(join(dataDir, 'distro.json'), JSON.stringify(old));
    const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    try {
      // The second start finds the import done: the data is there once, the backup untouched.
      for (let start = 0; start < 2; start++) {
        const app = await buildApp(config, { logger: silentLogger() });
        await app.start();
        const res = await fetch(`${app.url}/api/distributions`);
        const items = ((await res.json()) as { items: Array<{ slug: string; createdAt: string }> }).items;
        expect(items).toEqual([expect.objectContaining({ slug: 'social', createdAt: '2025-06-01T10:00:00.000Z' })]);
        await app.stop();
        const files = readdirSync(dataDir);
        expect(files).not.toContain('distro.json');
        expect(files.filter((f) => f.startsWith('distro.json.imported-'))).toHaveLength(1);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
