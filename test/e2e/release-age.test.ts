/**
 * policy.minReleaseAgeHours on the real polling stack (embedded store and queue, real git upstream, real checkout
 * builds): a new release younger than the minimum is built but does not become the target; a
 * `platform.target-when-mature` job is queued for the moment it is old enough, and then (the job's work, run with the
 * clock moved on) it becomes the target, attributed to the poll. A person can still target it at once.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import type { Distribution } from '../../src/domain/distribution.js';
import { TARGET_WHEN_MATURE_JOB } from '../../src/domain/jobs.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { waitFor } from '../support/wait.js';
import { ADMIN, startPollingStack, type PollingStack } from './polling-harness.js';

describe('minimum release age before a new build becomes the target automatically', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let stack: PollingStack;
  let social: Distribution;
  let fakeNow: Date | null = null;

  beforeAll(async () => {
    dir = await makeTempDir('distro-release-age-');
    repo = await createOpenSocialRepo(dir, ['12.3.2']);
    stack = await startPollingStack({ now: () => fakeNow ?? new Date() });
    social = await stack.services.distributions.create({
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    await stack.polls.pollNow('social', ADMIN);
    await stack.idle();
    expect((await stack.repos.platforms.getByName('social-12.3.2'))!.id).toBe((await stack.repos.distributions.get(social.id))!.targetPlatformId);
  }, 120_000);
  afterAll(async () => {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a release younger than minReleaseAgeHours waits; once old enough it becomes the target', async () => {
    await expect(stack.services.distributions.update('social', { policy: { minReleaseAgeHours: -3 } })).rejects.toMatchObject({
      issues: ['policy.minReleaseAgeHours: a whole number of hours from 0 to 8760'],
    });
    await stack.services.distributions.update('social', { policy: { minReleaseAgeHours: 24 } }, ADMIN);
    await addVersion(repo, '12.3.3');
    await stack.polls.pollNow('social', ADMIN);
    await waitFor(async () => ['ready', 'locked'].includes((await stack.repos.platforms.getByName('social-12.3.3'))?.status ?? ''), '12.3.3 to be built', 120_000);
    await waitFor(async () => (await stack.repos.platforms.getByName('social-12.3.3'))!.buildLog.some((l) => l.includes('Not made the upgrade target yet')), 'the build log to say why', 30_000);
    const young = (await stack.repos.platforms.getByName('social-12.3.3'))!;
    const old = (await stack.repos.platforms.getByName('social-12.3.2'))!;
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(old.id);
    const mature = new Date(young.createdAt.getTime() + 24 * 3_600_000);
    expect(young.buildLog.join('\n')).toContain(`social takes builds at least 24 h old; it becomes the target at ${mature.toISOString()}`);
    const [job] = await stack.jobs.list(TARGET_WHEN_MATURE_JOB);
    expect(job).toMatchObject({ state: 'queued', data: { platformId: young.id }, runAt: mature });

    // Run early (a clock not yet there): still waits, and nothing changes.
    fakeNow = new Date(mature.getTime() - 60_000);
    expect(await stack.builds.targetWhenMature(young.id)).toBe(false);
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(old.id);
    // Old enough: the job's work makes it the target, attributed to the poll.
    fakeNow = new Date(mature.getTime() + 60_000);
    expect(await stack.builds.targetWhenMature(young.id)).toBe(true);
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(young.id);
    const [moved] = (await stack.repos.audit.list({ action: ['target.set'] }, { limit: 1 })).items;
    expect(moved).toMatchObject({ actorId: 'poll', details: { from: 'social-12.3.2', to: 'social-12.3.3' } });
    // Once the target, a second run changes nothing.
    expect(await stack.builds.targetWhenMature(young.id)).toBe(false);
  }, 180_000);
});
