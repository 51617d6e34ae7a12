import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import type { Distribution } from '../../src/domain/distribution.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in.js';
import { ADMIN, POLLER, startPollingStack, type PollingStack } from './polling-harness.js';

describe('GitHub polling through octokit → stand-in, with conditional requests', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let gh: GitHubStandIn;
  let stack: PollingStack;
  let social: Distribution;

  beforeAll(async () => {
    dir = await makeTempDir('distro-polling-gh-');
    repo = await createOpenSocialRepo(dir, ['12.3.3']);
    gh = await startGitHubStandIn();
    gh.addRepo('goalgorilla', 'social_template', repo.path);
    stack = await startPollingStack({ githubApiUrl: gh.url });
    social = await stack.services.distributions.create({
      slug: 'social',
      title: 'Open Social',
      upstream: { kind: 'github', owner: 'goalgorilla', repo: 'social_template', tagPattern: '12.*', manifestPath: 'composer.lock' },
      policy: { pollIntervalMinutes: 0, autoTarget: true },
    });
  });
  afterAll(async () => {
    await stack.close();
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('first poll builds the latest tag (cloned from the stand-in) and targets it', async () => {
    await stack.polls.pollNow('social', ADMIN);
    await stack.idle();
    const p = (await stack.repos.platforms.getByName('social-12.3.3'))!;
    expect(p).toMatchObject({ status: 'ready', source: { commit: repo.commits['12.3.3'] } });
    expect(p.manifest.packages.find((x) => x.name === 'goalgorilla/open_social')?.version).toBe('12.3.3');
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(p.id);
    expect(gh.stats.gitRequests).toBeGreaterThan(0);
  });

  test('an unchanged poll is a 304 that spends no rate limit', async () => {
    const spent = gh.stats.rateLimited;
    const remaining = gh.remaining();
    const notModified = gh.stats.notModified;
    const { newPlatforms } = await stack.polls.checkDistribution(social.id, POLLER);
    expect(newPlatforms).toEqual([]);
    expect(gh.stats.notModified).toBe(notModified + 1);
    expect(gh.stats.rateLimited).toBe(spent);
    expect(gh.remaining()).toBe(remaining);
  });

  test('a new tag becomes a new platform, the target, and a target.changed event', async () => {
    const previous = (await stack.repos.platforms.getByName('social-12.3.3'))!;
    await addVersion(repo, '12.4.1');
    await stack.polls.checkDistribution(social.id, POLLER);
    await stack.idle();
    const built = (await stack.repos.platforms.getByName('social-12.4.1'))!;
    expect(built.status).toBe('ready');
    expect((await stack.repos.platforms.get(previous.id))!.status).toBe('locked');
    expect(stack.events).toContainEqual({ type: 'target.changed', distributionId: social.id, previousTargetId: previous.id, targetId: built.id, actor: POLLER });
  });

  test('a poll failing on a GitHub 500 records nothing and keeps the ETags for the retry', async () => {
    const before = (await stack.repos.distributions.get(social.id))!.pollState;
    gh.failNext('server-error');
    await expect(stack.polls.checkDistribution(social.id, POLLER)).rejects.toThrow(/unavailable/);
    const failed = (await stack.repos.distributions.get(social.id))!;
    expect(failed.pollState).toEqual(before);
    // The failure is kept on the distribution (time and error sentence) for the dashboard.
    expect(failed.lastPoll?.error).toMatch(/unavailable/);
    expect(failed.lastPoll?.at).toBeInstanceOf(Date);
    const { newPlatforms } = await stack.polls.checkDistribution(social.id, POLLER);
    expect(newPlatforms).toEqual([]);
    const recovered = (await stack.repos.distributions.get(social.id))!.lastPoll;
    expect(recovered?.error).toBeNull();
    expect(recovered!.at.getTime()).toBeGreaterThanOrEqual(failed.lastPoll!.at.getTime());
  });

  test('a build interrupted by an unreachable git host goes back to queued and succeeds on retry', async () => {
    await addVersion(repo, '12.4.2');
    gh.failNext('git-unavailable');
    const { newPlatforms } = await stack.polls.checkDistribution(social.id, POLLER);
    await stack.idle();
    const p = (await stack.repos.platforms.get(newPlatforms[0]!.id))!;
    expect(p.status).toBe('ready');
    expect(p.buildLog.some((l) => l.startsWith('warn: Build interrupted, will retry'))).toBe(true);
    expect((await stack.repos.distributions.get(social.id))!.targetPlatformId).toBe(p.id);
  });

  test('when the last attempt is also interrupted the build fails, with the reason in its log', async () => {
    await addVersion(repo, '12.3.0');
    gh.failNext('git-unavailable', 2); // the stack allows 2 attempts
    const { newPlatforms } = await stack.polls.checkDistribution(social.id, POLLER);
    await stack.idle();
    const p = (await stack.repos.platforms.get(newPlatforms[0]!.id))!;
    expect(p.status).toBe('failed');
    expect(p.buildLog.filter((l) => l.startsWith('warn: Build interrupted'))).toHaveLength(1);
    expect(p.buildLog.some((l) => l.startsWith('error: Build failed') && l.includes('503'))).toBe(true);
    expect(stack.events).toContainEqual({ type: 'platform.failed', platformId: p.id });
  });
});
