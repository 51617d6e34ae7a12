/** The embedded store's snapshot file: reopen, debounced flush, bad files refused, SIGKILL leaves a whole file. */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../src/domain/errors.js';
import { createMemoryRepositories } from '../../src/persistence/memory/memory-repositories.js';
import { openSocialBuild } from '../support/fixtures.js';

const ADMIN = { kind: 'user' as const, id: 'UADMIN' };
const tempFile = () => join(mkdtempSync(join(tmpdir(), 'distro-snap-')), 'nested', 'store.json');

describe('memory store snapshot file', () => {
  test('state written synchronously is there after reopening, Dates revived, numbering continued', async () => {
    const file = tempFile();
    const a = createMemoryRepositories({ snapshotFile: file });
    const d = await a.distributions.create({ slug: 'social', title: 'Open Social' });
    // A value that looks like a date must stay a string.
    await a.distributions.updatePollState(d.id, { seen: '2024-05-21T09:17:29.000Z' });
    const build = openSocialBuild('12.4.2');
    const p = await a.platforms.create({
      name: 'social-12.4.2', distributionId: d.id, source: { ref: '12.4.2', commit: build.commit }, createdBy: ADMIN,
      manifest: { format: 'composer', packages: [], files: build.files },
    });
    const s = await a.sites.create({ name: 'a.example.org', platformId: p.id });
    const t1 = await a.tasks.create({ type: 'migrate', subject: { kind: 'site', id: s.id, name: s.name }, requestedBy: ADMIN });
    await a.tasks.claim(t1.id, 'w1', new Date(Date.now() + 60_000), new Date());
    // No close(): sync mode must not depend on it (a killed process never calls it).

    const b = createMemoryRepositories({ snapshotFile: file });
    const d2 = await b.distributions.get(d.id);
    expect(d2).toEqual({ ...d, pollState: { seen: '2024-05-21T09:17:29.000Z' }, updatedAt: d2!.updatedAt });
    expect(d2!.createdAt).toBeInstanceOf(Date);
    expect(typeof d2!.pollState.seen).toBe('string');
    expect((await b.platforms.get(p.id))?.manifest.files).toEqual(build.files);
    const task = await b.tasks.get(t1.id);
    expect(task?.lease?.until).toBeInstanceOf(Date);
    expect(task?.state).toBe('processing');
    const t2 = await b.tasks.create({ type: 'verify', subject: { kind: 'site', id: s.id, name: s.name }, requestedBy: ADMIN });
    expect(t2.number).toBeGreaterThan(t1.number);
    await expect(b.tasks.create({ type: 'migrate', subject: { kind: 'site', id: s.id, name: s.name }, requestedBy: ADMIN })).rejects.toThrow(/active/);
  });

  test('migration slots survive a reopen: a task processing before the restart still holds its slot', async () => {
    const file = tempFile();
    const a = createMemoryRepositories({ snapshotFile: file });
    const task = (n: string) => a.tasks.create({ type: 'migrate', subject: { kind: 'site', id: n, name: n }, requestedBy: ADMIN });
    const [t1, t2] = [await task('s1'), await task('s2')];
    const until = new Date(Date.now() + 60_000);
    expect((await a.tasks.claimWithinLimits(t1.id, 'w1', until, new Date(), { 'server:web1': 1 })).task).not.toBeNull();

    const b = createMemoryRepositories({ snapshotFile: file });
    expect(await b.tasks.claimWithinLimits(t2.id, 'w2', until, new Date(), { 'server:web1': 1 })).toEqual({ task: null, busy: ['server:web1'] });
    await b.tasks.transition(t1.id, ['processing'], 'succeeded');
    expect((await b.tasks.claimWithinLimits(t2.id, 'w2', until, new Date(), { 'server:web1': 1 })).task?.id).toBe(t2.id);
  });

  test('debounced mode coalesces writes and close() flushes them', async () => {
    const file = tempFile();
    const a = createMemoryRepositories({ snapshotFile: file, flush: 'debounced' });
    for (let i = 0; i < 20; i++) await a.sites.create({ name: `s${i}.example.org`, platformId: 'p' });
    await a.close();
    const b = createMemoryRepositories({ snapshotFile: file });
    expect((await b.sites.list()).total).toBe(20);
  });

  test('a corrupt or foreign file is refused with a clear error and left untouched', () => {
    const file = tempFile();
    createMemoryRepositories({ snapshotFile: file }); // creates the directory
    for (const content of ['{"version":1,"distributions":', '{"hello":"world"}', '[]']) {
      writeFileSync(file, content);
      expect(() => createMemoryRepositories({ snapshotFile: file })).toThrow(ValidationError);
      expect(() => createMemoryRepositories({ snapshotFile: file })).toThrow(file);
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
  });

  test('a process SIGKILLed while writing leaves a complete, loadable snapshot', async () => {
    const file = tempFile();
    const moduleUrl = new URL('../../src/persistence/memory/memory-repositories.ts', import.meta.url).href;
    const script = join(mkdtempSync(join(tmpdir(), 'distro-kill-')), 'writer.mts');
    writeFileSync(
      script,
      `import { createMemoryRepositories } from ${JSON.stringify(moduleUrl)};
       const repos = createMemoryRepositories({ snapshotFile: ${JSON.stringify(file)}, flush: 'sync' });
       for (let i = 0; ; i++) {
         await repos.sites.create({ name: 'site-' + i + '.example.org', platformId: 'p', modules: Array(50).fill('m' + i) });
         process.stdout.write(i + '\\n');
       }`,
    );
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
    const child = spawn(process.execPath, ['--import', tsx, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = -1;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        acknowledged = Number(lines[lines.length - 1]);
        if (acknowledged >= 200 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');
    const reopened = createMemoryRepositories({ snapshotFile: file });
    const { items, total } = await reopened.sites.list();
    // Every acknowledged write is in the file, and the file is one consistent state (names 0..total-1).
    expect(total).toBeGreaterThanOrEqual(acknowledged + 1);
    expect(new Set(items.map((s) => s.name))).toEqual(new Set(Array.from({ length: total }, (_, i) => `site-${i}.example.org`)));
  });
});
