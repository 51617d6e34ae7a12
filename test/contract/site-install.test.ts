/**
 * Site creation through Distro on every store: the web side only records the site (`installing`) and queues an
 * install task; a worker queue on the same backend runs it with the real LocalDriver, enabling the site, or
 * removing the record and failing the task when the files cannot be made. The web queue never runs the job.
 */
import { afterEach, beforeEach, describe, expect } from '@jest/globals';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ConflictError } from '../../src/domain/errors.js';
import type { JobQueue } from '../../src/domain/ports.js';
import { registerSiteJobs } from '../../src/jobs/site-jobs.js';
import { createServices } from '../../src/services/create-services.js';
import { EventBus } from '../../src/services/event-bus.js';
import type { Services } from '../../src/services/services.js';
import { createWorld, type World } from '../support/migration-world.js';
import { contractTest } from '../support/mongo-wire-gaps.js';
import { ADMIN } from '../support/seed.js';
import { describeEachStore, type StoreInstance } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

await describeEachStore('site install', (kind) => {
  const test = contractTest('site install', kind.label);
  describe(`SiteService + site.install job [${kind.label}]`, () => {
    let store: StoreInstance;
    let world: World;
    let services: Services;
    let worker: JobQueue;
    beforeEach(async () => {
      store = await kind.create();
      world = await createWorld({ repos: store.repos, platforms: { '12.4.2': 'web1' } });
      const web = store.createQueue({ owner: 'web' });
      services = createServices({ repos: store.repos, jobs: web, siteInstalls: true, links: { secret: 'x'.repeat(32), ttlMs: 60_000, publicUrl: 'http://x' } });
      worker = store.createQueue({ owner: 'worker' });
      registerSiteJobs(worker, { repos: store.repos, driver: world.driver, events: new EventBus(), owner: 'worker-1', maxAttempts: 1 });
    });
    afterEach(async () => {
      await store.cleanup();
      await rm(world.root, { recursive: true, force: true });
    });

    test('create records an installing site and an install task; the worker makes its files and enables it', async () => {
      const platform = world.platforms['12.4.2']!;
      const { site, task } = await services.sites.create({ name: 'new.example.org', platform: platform.name }, ADMIN);
      expect(site.status).toBe('installing');
      expect(task).toMatchObject({ type: 'install', state: 'queued', subject: { kind: 'site', id: site.id, name: 'new.example.org' } });
      // Not editable or removable while its install task is active.
      await expect(services.sites.update('new.example.org', { status: 'disabled' })).rejects.toThrow(ConflictError);
      await expect(services.sites.delete('new.example.org')).rejects.toThrow(ConflictError);
      expect(existsSync(world.siteDir(site, platform))).toBe(false);

      await worker.start();
      await waitFor(async () => (await store.repos.tasks.get(task!.id))?.state === 'succeeded', 'the install task');
      expect((await services.sites.get('new.example.org')).status).toBe('enabled');
      expect(existsSync(world.siteDir(site, platform))).toBe(true);
      expect((await store.repos.tasks.get(task!.id))!.log.map((l) => l.message)).toContain('Installed new.example.org');
    });

    test('an install that cannot make the files fails the task with the reason and removes the site record', async () => {
      const unbuilt = await store.repos.platforms.create({
        name: 'social-unbuilt',
        distributionId: world.distribution.id,
        source: { ref: 'x', commit: 'e'.repeat(40) },
        createdBy: { kind: 'system' },
        status: 'ready',
      });
      const { task } = await services.sites.create({ name: 'doomed.example.org', platform: unbuilt.name }, ADMIN);
      await worker.start();
      await waitFor(async () => (await store.repos.tasks.get(task!.id))?.state === 'failed', 'the install task to fail');
      expect((await store.repos.tasks.get(task!.id))!.error).toMatch(/not built on this host/);
      expect(await store.repos.sites.getByName('doomed.example.org')).toBeNull();
    });

    test('an installing site whose install task is gone (a crash between the writes) can be deleted', async () => {
      await store.repos.sites.create({ name: 'orphan.example.org', platformId: world.platforms['12.4.2']!.id, status: 'installing' });
      await services.sites.delete('orphan.example.org');
      expect(await store.repos.sites.getByName('orphan.example.org')).toBeNull();
    });
  });
});
