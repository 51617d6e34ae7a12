/**
 * Import benchmark: 10,000 Aegir 3 aliases (drush 8 `site:alias --format=json`) over 5 code bases on disk, each
 * byte-identical to a registered Open Social build, imported through ImportService on the embedded store (SQLite
 * file, WAL, synchronous=FULL) with the real local driver reading every root's composer.lock and every site's
 * directory and modules.json — dry run, then apply into a fresh database — beside a floor measured in the same run:
 * JSON.parse of the same text and the same 10,000 site rows inserted with one prepared statement in one transaction.
 * Prints medians over the runs and the ratios to the floor (goal ≤ 3×).
 * Run: npm run bench:import [-- <sites = 10000> <runs = 3>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../src/domain/actor.js';
import { LocalDriver } from '../src/hosting/local-driver.js';
import { SqliteDatabase } from '../src/persistence/sqlite/database.js';
import { createSqliteRepositories } from '../src/persistence/sqlite/sqlite-repositories.js';
import { SqliteJobQueue } from '../src/jobs/sqlite-queue.js';
import { createServices } from '../src/services/create-services.js';
import { EventBus } from '../src/services/event-bus.js';
import { FIXTURES_DIR, OPEN_SOCIAL_VERSIONS } from '../test/support/fixtures.js';
import { makeFleetOnDisk } from '../test/support/fleet-fixture.js';

const SITES = Number(process.argv[2] ?? 10_000);
const RUNS = Number(process.argv[3] ?? 3);
const VERSIONS = OPEN_SOCIAL_VERSIONS.slice(-5);
const actor = { kind: 'user', id: 'UBENCH' } as Actor;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${x.toFixed(0)} ms`;

const root = mkdtempSync(join(tmpdir(), 'distro-bench-import-'));
const dataDir = join(root, 'data');

/** A fresh database with the distribution and its five builds registered (as a build records its lock). */
const freshStore = async (n: number) => {
  const db = SqliteDatabase.open({ file: join(root, `distro-${n}.db`), groupCommit: true });
  const repos = createSqliteRepositories(db);
  const services = createServices({
    repos,
    jobs: new SqliteJobQueue({ db }),
    events: new EventBus(),
    hostingReads: new LocalDriver({ root: dataDir }),
    links: { secret: 'x'.repeat(32), ttlMs: 1000, publicUrl: 'http://127.0.0.1:1' },
  });
  await services.distributions.create({ slug: 'social', title: 'Open Social' }, actor);
  for (const v of VERSIONS) {
    const lock = await readFile(join(FIXTURES_DIR, 'open-social', v, 'composer.lock'), 'utf8');
    await services.platforms.register({ name: `social-${v}`, distribution: 'social', ref: v, commit: v.replace(/\./g, '').padEnd(40, 'a'), files: { 'composer.lock': lock } }, actor);
  }
  return { db, repos, services };
};

const main = async () => {
  console.log(`bench:import — ${SITES} aliases over ${VERSIONS.length} code bases, ${RUNS} runs (load average ${loadavg()[0]!.toFixed(1)})`);
  const t0 = performance.now();
  const fleet = await makeFleetOnDisk(dataDir, VERSIONS, SITES);
  console.log(`  fleet on disk in ${ms(performance.now() - t0)}; aliases JSON ${(fleet.aliasesJson.length / 1024 / 1024).toFixed(1)} MB`);

  const floor: number[] = [];
  const dry: number[] = [];
  const apply: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Floor: parse the same text, insert the same rows with one prepared statement in one transaction.
    {
      const { db, repos } = await freshStore(run * 2);
      const platforms = (await repos.platforms.list()).items;
      const byRoot = new Map(VERSIONS.map((v) => [fleet.roots[v]!, platforms.find((p) => p.name === `social-${v}`)!.id]));
      const modules = JSON.stringify(['node', 'social_core', 'social_event', 'social_group', 'user']);
      const start = performance.now();
      const doc = JSON.parse(fleet.aliasesJson) as Record<string, { context_type?: string; uri?: string; root?: string; profile?: string }>;
      await db.transaction(async () => {
        const now = Date.now();
        for (const a of Object.values(doc)) {
          if (a.context_type !== 'site' || a.profile === 'hostmaster') continue;
          db.run(
            'INSERT INTO sites (id, name, platform_id, status, modules, history, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            randomUUID(), a.uri!, byRoot.get(a.root!)!, 'enabled', modules, '[]', now, now,
          );
        }
      });
      floor.push(performance.now() - start);
      if ((await repos.sites.list()).total !== SITES) throw new Error('floor: wrong row count');
      await db.close();
    }
    {
      const { db, services } = await freshStore(run * 2 + 1);
      let start = performance.now();
      const preview = await services.imports.run({ format: 'drush-json', content: fleet.aliasesJson }, actor);
      dry.push(performance.now() - start);
      if (preview.counts.create !== SITES) throw new Error(`dry run: ${preview.counts.create} to create`);
      start = performance.now();
      const applied = await services.imports.run({ format: 'drush-json', content: fleet.aliasesJson, apply: true }, actor);
      apply.push(performance.now() - start);
      if (applied.counts.created !== SITES) throw new Error(`apply: ${applied.counts.created} created`);
      await db.close();
    }
  }
  const f = median(floor);
  console.log(`  floor (JSON.parse + ${SITES} inserts, one prepared statement, one transaction): ${ms(f)}`);
  console.log(`  dry run (parse, match 5 roots by composer.lock, check ${SITES} site directories + modules.json): ${ms(median(dry))} = ${(median(dry) / f).toFixed(2)}× the floor`);
  console.log(`  apply (the same, then ${SITES} sites + 1 audit entry in one transaction): ${ms(median(apply))} = ${(median(apply) / f).toFixed(2)}× the floor (goal ≤ 3×)`);
  console.log(`  runs: floor ${floor.map(ms).join(', ')}; dry ${dry.map(ms).join(', ')}; apply ${apply.map(ms).join(', ')}`);
};

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(root, { recursive: true, force: true }));
