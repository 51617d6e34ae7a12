/**
 * checkReadiness (served as /readyz): a task that outlived its lease by more than a recovery round is named, with
 * how long and who held it; a fresh lease or one just expired (recovery has not had its round yet) is not.
 */
import { describe, expect, test } from '@jest/globals';
import { checkReadiness } from '../../src/services/readiness.js';
import { createWorld } from '../support/migration-world.js';

describe('readiness', () => {
  test('degraded while a task is past its lease by more than the grace, naming it; ready otherwise', async () => {
    const world = await createWorld({ sites: { '12.3.3': ['stuck.example.org', 'fine.example.org'] } });
    const now = new Date();
    const clock = { now: () => now };
    const stuck = await world.migrateTask(world.sites['stuck.example.org']!, world.platforms['12.4.2']!);
    const fine = await world.migrateTask(world.sites['fine.example.org']!, world.platforms['12.4.2']!);
    expect(await checkReadiness({ repos: world.repos, clock, graceMs: 10_000 })).toEqual({ status: 'ready', problems: [] });
    await world.repos.tasks.claim(fine.id, 'worker-a', new Date(now.getTime() - 5_000), now);
    await world.repos.tasks.claim(stuck.id, 'worker-b', new Date(now.getTime() - 42_000), now);
    expect(await checkReadiness({ repos: world.repos, clock, graceMs: 10_000 })).toEqual({
      status: 'degraded',
      problems: [`task #${stuck.number} (migrate stuck.example.org) is 42 s past its lease, held by worker-b`],
    });
  });
});
