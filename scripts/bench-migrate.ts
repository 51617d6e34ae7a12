/**
 * Migration throughput: 200 sites on a real LocalDriver platform (real dirs, tar backups, renames, a post-migrate
 * shell command each) migrated to the target through the embedded store (SQLite in memory) and its job queue at
 * concurrency 1, 4, 8.
 * Prints migrations per minute and the speed-up over concurrency 1, for two post-migrate commands: a bare file check
 * (the run is then bound by process spawns and gzip on this host's CPUs) and the same plus a 100 ms sleep standing in
 * for `drush updb` waiting on its database, which is what real migrations mostly do.
 * Run: npx tsx scripts/bench-migrate.ts [sites=200]
 */
import { rm } from 'node:fs/promises';
import type { DomainEvent } from '../src/domain/ports.js';
import { registerMigrationJobs } from '../src/jobs/migration-jobs.js';
import { EventBus } from '../src/services/event-bus.js';
import { MIGRATE_JOB } from '../src/domain/jobs.js';
import { createWorld } from '../test/support/migration-world.js';

const SITES = Number(process.argv[2] ?? 200);
const LEVELS = [1, 4, 8];

const round = async (concurrency: number, postMigrate: string[]): Promise<{ perMinute: number; ms: number; failed: number }> => {
  const names = Array.from({ length: SITES }, (_, i) => `site${String(i + 1).padStart(3, '0')}.example.org`);
  const world = await createWorld({ sites: { '12.3.3': names }, postMigrate });
  const target = world.platforms['12.4.2']!;
  const jobs = world.store!.queue({ pollIntervalMs: 5 });
  const bus = new EventBus();
  let finished = 0;
  let failed = 0;
  const done = new Promise<void>((resolve) =>
    bus.subscribe((e: DomainEvent) => {
      if (e.type !== 'task.updated' || e.state === 'processing') return;
      finished += 1;
      if (e.state !== 'succeeded') failed += 1;
      if (finished === SITES) resolve();
    }),
  );
  registerMigrationJobs(jobs, {
    repos: world.repos,
    driver: world.driver,
    events: bus,
    owner: `bench-${concurrency}`,
    concurrency,
    concurrencyPerServer: concurrency,
    maxAttempts: 1,
  });
  for (const name of names) {
    const task = await world.migrateTask(world.sites[name]!, target);
    await jobs.enqueue(MIGRATE_JOB, { taskId: task.id }, { uniqueKey: `migrate:${task.id}` });
  }
  const started = performance.now();
  await jobs.start();
  await done;
  const ms = performance.now() - started;
  await jobs.stop();
  await rm(world.root, { recursive: true, force: true });
  return { perMinute: (SITES / ms) * 60_000, ms, failed };
};

const SCENARIOS = [
  { label: 'post-migrate `test -f settings.php`', postMigrate: ['test -f settings.php'] },
  { label: 'post-migrate with a 100 ms updb stand-in', postMigrate: ['test -f settings.php && sleep 0.1'] },
];

for (const scenario of SCENARIOS) {
  console.log(`\n${SITES} sites, ${scenario.label}:`);
  const results = new Map<number, { perMinute: number; ms: number; failed: number }>();
  for (const level of LEVELS) {
    const r = await round(level, scenario.postMigrate);
    results.set(level, r);
    console.log(
      `  concurrency ${level}: ${(r.ms / 1000).toFixed(2)} s = ${r.perMinute.toFixed(0)} migrations/min` + (r.failed ? ` (${r.failed} FAILED)` : ''),
    );
  }
  const base = results.get(1)!.perMinute;
  console.log('  ' + LEVELS.slice(1).map((l) => `speed-up ${l} vs 1: ${(results.get(l)!.perMinute / base).toFixed(2)}x`).join(', '));
}
