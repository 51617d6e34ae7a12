import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import type { UpstreamSource } from '../../../src/domain/distribution.js';
import { TransientError, ValidationError } from '../../../src/domain/errors.js';
import { GitHubUpstreamChecker } from '../../../src/github/github-checker.js';
import { addBranchCommit, addVersion, createOpenSocialRepo, makeTempDir, upstreamDistribution as distribution, type GitFixtureRepo } from '../../support/git-fixtures.js';
import { startGitHubStandIn, type GitHubStandIn } from '../../support/github-stand-in.js';


const TOKEN = 'ghp_test_token';
const tagsUpstream: UpstreamSource = { kind: 'github', owner: 'goalgorilla', repo: 'social-template', manifestPath: 'composer.lock' };

describe('GitHubUpstreamChecker through octokit against the GitHub stand-in', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let gh: GitHubStandIn;
  // A fixed clock: the stand-in's reset time is given in the same terms, so delays are exact.
  let now = Date.UTC(2024, 4, 1, 12, 0, 0);
  const clock = { now: () => new Date(now) };
  let checker: GitHubUpstreamChecker;

  beforeAll(async () => {
    dir = await makeTempDir('distro-gh-checker-');
    repo = await createOpenSocialRepo(dir, ['12.3.2', '12.3.3']);
    gh = await startGitHubStandIn({ token: TOKEN, resetEpochSeconds: now / 1000 + 120, retryAfterSeconds: 7 });
    gh.addRepo('goalgorilla', 'social-template', repo.path);
    checker = new GitHubUpstreamChecker({ apiUrl: gh.url, token: TOKEN, clock });
  });
  afterAll(async () => {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('first poll reports the latest tag and keeps the ETag; an unchanged poll is a free 304', async () => {
    const first = await checker.check(distribution(tagsUpstream));
    expect(first.builds).toEqual([{ kind: 'tag', ref: '12.3.3', commit: repo.commits['12.3.3'] }]);
    expect(first.pollState['etag:tags']).toMatch(/^W\/"/);

    const before = { remaining: gh.remaining(), ...gh.stats };
    const second = await checker.check(distribution(tagsUpstream, first.pollState));
    expect(second).toEqual({ builds: [], pollState: {} });
    expect(gh.stats.notModified).toBe(before.notModified + 1);
    expect(gh.remaining()).toBe(before.remaining);

    await addVersion(repo, '12.4.1');
    const third = await checker.check(distribution(tagsUpstream, first.pollState));
    expect(third.builds).toEqual([{ kind: 'tag', ref: '12.4.1', commit: repo.commits['12.4.1'] }]);
    expect(third.pollState['etag:tags']).not.toBe(first.pollState['etag:tags']);
    expect(gh.remaining()).toBe(before.remaining - 1);
  });

  test('branch heads are tracked with their own ETag', async () => {
    const upstream: UpstreamSource = { ...tagsUpstream, branch: 'main' };
    const first = await checker.check(distribution(upstream));
    expect(first.builds).toHaveLength(1);
    expect(first.builds[0]!.kind).toBe('branch');
    const unchanged = await checker.check(distribution(upstream, first.pollState));
    expect(unchanged.builds).toEqual([]);
    const sha = await addBranchCommit(repo, 'Security hotfix on main');
    const moved = await checker.check(distribution(upstream, first.pollState));
    expect(moved.builds).toEqual([{ kind: 'branch', ref: 'main', commit: sha }]);
  });

  test('a primary rate limit is transient with the reset delay, and further checks wait without requests', async () => {
    gh.failNext('rate-limit');
    const err = await checker.check(distribution(tagsUpstream)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    const wait = (err as TransientError).retryAfterMs!;
    expect(wait).toBe(120_000);

    const requests = gh.stats.requests;
    await expect(checker.check(distribution(tagsUpstream))).rejects.toThrow(TransientError);
    expect(gh.stats.requests).toBe(requests);

    now += wait + 1000;
    const after = await checker.check(distribution(tagsUpstream));
    expect(after.builds.length).toBe(1);
    expect(gh.stats.requests).toBe(requests + 1);
  });

  test('a secondary rate limit honours retry-after; 5xx is transient', async () => {
    gh.failNext('secondary-rate-limit');
    const err = await checker.check(distribution(tagsUpstream)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBe(7000);
    now += 8000;
    gh.failNext('server-error');
    await expect(checker.check(distribution(tagsUpstream))).rejects.toThrow(TransientError);
  });

  test('unknown repositories, missing branches and bad tokens are clear non-transient errors', async () => {
    await expect(checker.check(distribution({ ...tagsUpstream, repo: 'nope' }))).rejects.toThrow(ValidationError);
    await expect(checker.check(distribution({ ...tagsUpstream, branch: 'gone' }))).rejects.toThrow(/branch gone/);
    const badToken = new GitHubUpstreamChecker({ apiUrl: gh.url, token: 'wrong', clock });
    await expect(badToken.check(distribution(tagsUpstream))).rejects.toThrow(/rejected the token/);
  });

  test('an unreachable API is transient', async () => {
    const closed = await startGitHubStandIn();
    await closed.close();
    const offline = new GitHubUpstreamChecker({ apiUrl: closed.url, clock });
    await expect(offline.check(distribution(tagsUpstream))).rejects.toThrow(TransientError);
  });
});
