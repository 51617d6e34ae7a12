import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import type { Distribution } from '../../src/domain/distribution.js';
import { NotFoundError, RuleViolationError, ValidationError } from '../../src/domain/errors.js';
import type { Platform } from '../../src/domain/platform.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { ADMIN, POLLER, startPollingStack, type PollingStack } from './polling-harness.js';

const platformsOf = async (stack: PollingStack, distributionId: string): Promise<Platform[]> =>
  (await stack.repos.platforms.list({ distributionId })).items;

const composerVersion = (p: Platform, name: string) => p.manifest.packages.find((x) => x.name === name)?.version;

describe('git polling → platform build → auto target (real repo, real checkout)', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let stack: PollingStack;
  let social: Distribution;

  beforeAll(async () => {
    dir = await makeTempDir('distro-polling-');
    repo = await createOpenSocialRepo(dir, ['12.3.2', '12.3.3']);
    stack = await startPollingStack();
    social = await stack.services.distributions.create({
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
  });
  afterAll(async () => {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the first poll builds only the latest release and makes it the target', async () => {
    await stack.polls.pollNow('social', ADMIN);
    await stack.idle();
    const [first, ...others] = await platformsOf(stack, social.id);
    expect(others).toEqual([]);
    expect(first).toMatchObject({ name: 'social-12.3.3', status: 'ready', source: { ref: '12.3.3', commit: repo.commits['12.3.3'] }, createdBy: ADMIN });
    expect(first!.manifest.format).toBe('composer');
    expect(composerVersion(first!, 'goalgorilla/open_social')).toBe('12.3.3');
    expect(first!.buildLog.join('\n')).toContain('Made social-12.3.3 the upgrade target');
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(first!.id);
    expect(stack.events).toContainEqual({ type: 'platform.built', platformId: first!.id });
    // Made the target by the poll, not by the admin who registered the upstream.
    expect(stack.events).toContainEqual({ type: 'target.changed', distributionId: social.id, previousTargetId: null, targetId: first!.id, actor: { kind: 'poll' } });
    // The automatic target move is in the audit log, attributed to the poll.
    const [moved] = (await stack.repos.audit.list({ action: ['target.set'] }, { limit: 5 })).items;
    expect(moved).toMatchObject({ actorId: 'poll', source: 'poll', subject: { name: 'social' }, details: { from: null, to: 'social-12.3.3' } });
  });

  test('an unchanged upstream yields nothing new', async () => {
    const { newPlatforms } = await stack.polls.checkDistribution(social.id, POLLER);
    expect(newPlatforms).toEqual([]);
  });

  test('a new release is polled, built, targeted; the old platform is locked and the change announced', async () => {
    const previous = (await stack.repos.platforms.getByName('social-12.3.3'))!;
    stack.events.length = 0;
    await addVersion(repo, '12.4.1');
    const { newPlatforms } = await stack.polls.checkDistribution(social.id, POLLER);
    expect(newPlatforms.map((p) => p.name)).toEqual(['social-12.4.1']);
    await stack.idle();
    const built = (await stack.repos.platforms.getByName('social-12.4.1'))!;
    expect(built.status).toBe('ready');
    expect(composerVersion(built, 'goalgorilla/open_social')).toBe('12.4.1');
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(built.id);
    expect((await stack.repos.platforms.get(previous.id))!.status).toBe('locked');
    expect(stack.events).toEqual([
      { type: 'platform.built', platformId: built.id },
      { type: 'target.changed', distributionId: social.id, previousTargetId: previous.id, targetId: built.id, actor: POLLER },
    ]);
  });

  test('a late older release (a backport) is built, does not take the target, and is locked by it', async () => {
    const target = (await stack.repos.distributions.get(social.id))!.targetPlatformId;
    await addVersion(repo, '12.3.0');
    await stack.polls.checkDistribution(social.id, POLLER);
    await stack.idle();
    const backport = (await stack.repos.platforms.getByName('social-12.3.0'))!;
    expect(backport.status).toBe('locked');
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(target);
    expect(backport.buildLog.join('\n')).toContain('social-12.4.1 is newer');
  });

  test('two pollers and a webhook at once create and build the new release exactly once', async () => {
    stack.events.length = 0;
    await addVersion(repo, '12.4.2');
    const results = await Promise.all([
      stack.polls.checkDistribution(social.id, POLLER),
      stack.polls.checkDistribution(social.id, POLLER),
      stack.polls.onUpstreamRef({ fullName: 'example/open-social', urls: [repo.url], ref: { kind: 'tag', name: '12.4.2' }, actor: { kind: 'webhook' } }),
    ]);
    await stack.idle();
    // The webhook's poll job may win the race on a loaded machine (then neither direct poll creates it): at most one
    // of the direct polls reports it new, and exactly one platform exists for the commit.
    const created = [results[0], results[1]].flatMap((r) => r.newPlatforms);
    expect(created.length).toBeLessThanOrEqual(1);
    const sameCommit = (await platformsOf(stack, social.id)).filter((p) => p.source.commit === repo.commits['12.4.2']);
    expect(sameCommit).toHaveLength(1);
    expect(sameCommit[0]!.status).toBe('ready');
    expect(stack.events.filter((e) => e.type === 'platform.built')).toHaveLength(1);
    expect(stack.events.filter((e) => e.type === 'target.changed')).toHaveLength(1);
  });

  test('a crash after recording platforms but before saving pollState loses nothing and duplicates nothing', async () => {
    await addVersion(repo, '12.0.0');
    const realUpdate = stack.repos.distributions.updatePollState.bind(stack.repos.distributions);
    stack.repos.distributions.updatePollState = async () => {
      throw new Error('database went away');
    };
    try {
      await expect(stack.polls.checkDistribution(social.id, POLLER)).rejects.toThrow('database went away');
    } finally {
      stack.repos.distributions.updatePollState = realUpdate;
    }
    const retried = await stack.polls.checkDistribution(social.id, POLLER);
    expect(retried.newPlatforms).toEqual([]);
    await stack.idle();
    const found = (await platformsOf(stack, social.id)).filter((p) => p.source.commit === repo.commits['12.0.0']);
    // Built once; older than the target, so locked by it.
    expect(found.map((p) => p.status)).toEqual(['locked']);
  });

  test('bad input: unknown distribution (with suggestion), no upstream, unreadable upstream', async () => {
    const err = await stack.polls.pollNow('socail', ADMIN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).suggestion).toBe('social');

    await stack.services.distributions.create({ slug: 'manual', title: 'Manual', policy: { pollIntervalMinutes: 0, autoTarget: false } });
    await expect(stack.polls.pollNow('manual', ADMIN)).rejects.toThrow(RuleViolationError);

    const broken = await stack.services.distributions.create({
      slug: 'broken',
      title: 'Broken',
      upstream: { kind: 'git', url: `${repo.url}-missing`, manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    await expect(stack.polls.checkDistribution(broken.id, POLLER)).rejects.toThrow(ValidationError);
    expect((await stack.repos.distributions.get(broken.id))!.pollState).toEqual({});
    expect(await platformsOf(stack, broken.id)).toEqual([]);
  });
});

describe('builds that fail, and policies', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let stack: PollingStack;

  beforeAll(async () => {
    dir = await makeTempDir('distro-polling-fail-');
    repo = await createOpenSocialRepo(dir, ['12.4.1']);
    stack = await startPollingStack();
  });
  afterAll(async () => {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a build whose upstream vanished fails with its log kept and platform.failed published', async () => {
    const d = await stack.services.distributions.create({
      slug: 'vanishing',
      title: 'Vanishing',
      upstream: { kind: 'git', url: repo.url, manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
    await stack.jobs.stop();
    const { newPlatforms } = await stack.polls.checkDistribution(d.id, POLLER);
    await rm(repo.path, { recursive: true, force: true });
    await stack.jobs.start();
    await stack.idle();
    const p = (await stack.repos.platforms.get(newPlatforms[0]!.id))!;
    expect(p.status).toBe('failed');
    expect(p.buildLog.some((l) => l.startsWith('error: Build failed'))).toBe(true);
    expect(stack.events).toContainEqual({ type: 'platform.failed', platformId: p.id });
    expect((await stack.repos.distributions.get(d.id))!.targetPlatformId).toBeNull();
  });

  test('schedulePolls keeps a recurring poll only for distributions with an upstream and an interval', async () => {
    await stack.jobs.stop();
    const hourly = await stack.services.distributions.create({
      slug: 'hourly',
      title: 'Hourly',
      upstream: { kind: 'git', url: repo.url, manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 60, autoTarget: false },
    });
    await stack.services.distributions.create({
      slug: 'off',
      title: 'Off',
      upstream: { kind: 'git', url: repo.url, manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: false },
    });
    const result = await stack.polls.schedulePolls();
    expect(result.scheduled).toContain('hourly');
    expect(result.cancelled).toEqual(expect.arrayContaining(['off', 'vanishing']));
    const recurring = (await stack.jobs.list()).filter((j) => j.recurringKey !== null);
    expect(recurring.map((j) => [j.recurringKey, j.intervalMs, j.data])).toEqual([[`poll:${hourly.id}`, 3_600_000, { distributionId: hourly.id }]]);

    await stack.repos.distributions.update(hourly.id, { policy: { pollIntervalMinutes: 0, autoTarget: false } });
    await stack.polls.schedulePolls();
    expect((await stack.jobs.list()).filter((j) => j.recurringKey !== null)).toEqual([]);
  });
});
