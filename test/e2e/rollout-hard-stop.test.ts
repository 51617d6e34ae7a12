/**
 * Pause and cancel are hard stops (issue 18): the rollout's gate is asked again right before a migration's first
 * change to its site, in one transaction with it, so once a pause has committed no further site begins — tasks
 * that were waiting for a slot (or already claimed) go back to queued, not failed; a cancel cancels them.
 *
 * On the product as `npm start` composes it (embedded store, SQLite queue, local driver with a slow post-migrate
 * command): one 50-site rollout at concurrency 4 is paused at 20 random instants. Right after each pause commits,
 * the tasks that have begun (a first write-ahead intent) are read; once nothing is running, no other task may have
 * begun. Then it is resumed; at the end the rollout is done and every site was migrated exactly once.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Task } from '../../src/domain/task.js';
import { silentLogger } from '../../src/logger.js';
import { addVersion, createOpenSocialRepo, makeTempDir } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'hard-stop-admin-token-0123456789';
const SITES = Array.from({ length: 50 }, (_, i) => `s${String(i + 1).padStart(2, '0')}.example.org`);
const PAUSES = 20;
const PERSON = { kind: 'user', id: 'U0OPS', name: 'ops' } as const;

describe('pause and cancel are hard stops', () => {
  let dir: string;
  let app: DistroApp;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as Record<string, unknown> };
  };
  const built = (name: string) =>
    waitFor(async () => ['ready', 'locked'].includes((await app.repos.platforms.getByName(name))?.status ?? ''), `${name} to be built`, 120_000);
  const planTasks = async (planId: string): Promise<Task[]> => (await app.repos.tasks.list({ planId, type: ['migrate'] }, { limit: 1000, offset: 0 })).items;
  /** A task has begun once its first step's intent is committed (the begin records it with the site marked migrating). */
  const begun = (tasks: Task[]) => new Set(tasks.filter((t) => t.step !== null || Object.keys(t.checkpoint).some((k) => k !== 'interruptions')).map((t) => t.id));

  beforeAll(async () => {
    dir = await makeTempDir('distro-hard-stop-');
    const repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.3.2']);
    app = await buildApp(
      loadConfig({
        PORT: '0',
        ALLOW_LOCAL_UPSTREAMS: 'true',
        DATA_DIR: join(dir, 'data'),
        LOG_LEVEL: 'silent',
        ADMIN_TOKEN: TOKEN,
        LINK_SECRET: 'hard-stop-link-secret-0123456789',
        // Four migration jobs at once, two slots on the (one) server: two run while two wait for a slot, the
        // waiters the old gate (asked once, before the slot wait) let through after a pause.
        MIGRATION_CONCURRENCY: '4',
        MIGRATION_CONCURRENCY_PER_SERVER: '2',
        // Long enough that pauses fall while migrations run and others wait for a slot.
        POST_MIGRATE_COMMANDS: 'sleep 0.2',
      }),
      { logger: silentLogger() },
    );
    await app.start();
    expect((await api('POST', '/api/distributions', { slug: 'social', title: 'Open Social 12', upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' }, policy: { pollIntervalMinutes: 0, autoTarget: true } })).status).toBe(201);
    await api('POST', '/api/distributions/social/poll');
    await built('social-12.3.2');
    for (const name of SITES) expect((await api('POST', '/api/sites', { name, platform: 'social-12.3.2' })).status).toBe(202);
    await waitFor(async () => (await Promise.all(SITES.map((s) => app.repos.sites.getByName(s)))).every((s) => s?.status === 'enabled'), 'the sites to be installed', 120_000);
    await addVersion(repo, '12.3.3');
    await api('POST', '/api/distributions/social/poll');
    await built('social-12.3.3');
    await waitFor(async () => (await app.repos.distributions.getBySlug('social'))?.targetPlatformId === (await app.repos.platforms.getByName('social-12.3.3'))?.id, 'the new target', 60_000);
  }, 300_000);

  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test(`a 50-site rollout at concurrency 4 paused at ${PAUSES} random instants: no site begins after a pause commits`, async () => {
    const plan = await api('POST', '/api/upgrades', { scope: { kind: 'platform', name: 'social-12.3.2' } });
    const planId = plan.body.id as string;
    expect((await api('POST', `/api/upgrades/${planId}/confirm`)).status).toBe(202);
    const rollout = (await app.repos.rollouts.getByPlan(planId))!;
    let stoppedAt = 0;
    let held = 0;
    for (let i = 0; i < PAUSES; i++) {
      // A random instant: up to 250 ms into the running rollout.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 250)));
      if ((await app.repos.rollouts.get(rollout.id))!.state === 'done') break;
      await app.services.rollouts.pause(rollout.id, PERSON);
      const atPause = begun(await planTasks(planId));
      // Running migrations finish; nothing else begins.
      await waitFor(async () => (await planTasks(planId)).every((t) => t.state !== 'processing'), 'running migrations to finish', 60_000);
      const after = await planTasks(planId);
      const late = [...begun(after)].filter((id) => !atPause.has(id));
      expect({ pause: i + 1, late: after.filter((t) => late.includes(t.id)).map((t) => t.subject.name) }).toEqual({ pause: i + 1, late: [] });
      // Held back, not failed: a migration the pause caught waits in the queue.
      expect(after.filter((t) => t.state === 'failed').map((t) => `${t.subject.name}: ${t.error}`)).toEqual([]);
      held += after.filter((t) => t.state === 'queued' && t.log.some((l) => l.message.startsWith('Not started: its rollout is paused'))).length;
      stoppedAt = i + 1;
      await app.services.rollouts.resume(rollout.id, PERSON);
    }
    await waitFor(async () => (await app.repos.rollouts.get(rollout.id))!.state === 'done', 'the rollout to finish', 120_000);
    const target = (await app.repos.platforms.getByName('social-12.3.3'))!;
    const tasks = await planTasks(planId);
    for (const site of SITES) {
      const own = tasks.filter((t) => t.subject.name === site);
      expect({ site, states: own.map((t) => t.state) }).toEqual({ site, states: ['succeeded'] });
      expect((await app.repos.sites.getByName(site))!.platformId).toBe(target.id);
    }
    process.stdout.write(`[hard stop] ${stoppedAt} pauses of a 50-site rollout at concurrency 4; ${held} claimed migrations handed back to the queue by the gate, none began after a pause\n`);
    expect(stoppedAt).toBe(PAUSES);
  }, 300_000);
});
