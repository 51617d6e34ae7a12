import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import type { UpstreamSource } from '../../../src/domain/distribution.js';
import { TransientError, ValidationError } from '../../../src/domain/errors.js';
import { GitUpstreamChecker, parseLsRemote } from '../../../src/upstream/git-checker.js';
import { normalizeRepoUrl, selectNewBuilds, trackingOf } from '../../../src/domain/upstream-tracking.js';
import { addBranchCommit, addVersion, createOpenSocialRepo, makeTempDir, upstreamDistribution as distribution, type GitFixtureRepo } from '../../support/git-fixtures.js';


describe('ls-remote parsing and tag order', () => {
  test('annotated tags resolve to the peeled commit; branches and lightweight tags as listed', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    const refs = parseLsRemote(`${a}\trefs/heads/main\n${b}\trefs/tags/12.3.3\n${c}\trefs/tags/12.3.3^{}\n${a}\trefs/tags/light\n`);
    expect(refs.branches.get('main')).toBe(a);
    expect(refs.tags.get('12.3.3')).toBe(c);
    expect(refs.tags.get('light')).toBe(a);
  });

  test('new tags are reported in version order, not listing order', () => {
    const sha = 'a'.repeat(40);
    const tags = new Map(['12.10.0', '12.4.1', 'v12.9.0', '12.4.1-rc1'].map((t) => [t, sha]));
    const { builds } = selectNewBuilds(trackingOf({ kind: 'git', url: 'x', manifestPath: 'composer.lock' }), { tags: '[]' }, { tags });
    expect(builds.map((b) => b.ref)).toEqual(['12.4.1-rc1', '12.4.1', 'v12.9.0', '12.10.0']);
  });

  test('corrupt tag bookkeeping behaves like a first poll instead of re-reporting history', () => {
    const tags = new Map([['1.0.0', 'a'.repeat(40)], ['1.1.0', 'b'.repeat(40)]]);
    const { builds, pollState } = selectNewBuilds(trackingOf({ kind: 'git', url: 'x', manifestPath: 'composer.lock' }), { tags: '{oops' }, { tags });
    expect(builds.map((b) => b.ref)).toEqual(['1.1.0']);
    expect(JSON.parse(pollState.tags!)).toEqual(['1.0.0', '1.1.0']);
  });
});

describe('GitUpstreamChecker against a real repository', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  const checker = new GitUpstreamChecker({ allowLocalUpstreams: true });

  beforeAll(async () => {
    dir = await makeTempDir('distro-git-checker-');
    repo = await createOpenSocialRepo(dir, ['12.2.0', '12.3.0', '12.3.3']);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('first poll reports only the latest tag; later polls report only new tags, oldest first', async () => {
    const upstream: UpstreamSource = { kind: 'git', url: repo.url, manifestPath: 'composer.lock' };
    const first = await checker.check(distribution(upstream));
    expect(first.builds).toEqual([{ kind: 'tag', ref: '12.3.3', commit: repo.commits['12.3.3'] }]);
    expect(JSON.parse(first.pollState.tags!)).toEqual(['12.2.0', '12.3.0', '12.3.3']);

    const unchanged = await checker.check(distribution(upstream, first.pollState));
    expect(unchanged.builds).toEqual([]);
    expect(unchanged.pollState).toEqual({});

    await addVersion(repo, '12.4.1');
    await addVersion(repo, '12.4.2');
    const next = await checker.check(distribution(upstream, first.pollState));
    expect(next.builds).toEqual([
      { kind: 'tag', ref: '12.4.1', commit: repo.commits['12.4.1'] },
      { kind: 'tag', ref: '12.4.2', commit: repo.commits['12.4.2'] },
    ]);
  });

  test('a tag pattern filters tags; a branch reports its head when it moves', async () => {
    const upstream: UpstreamSource = { kind: 'git', url: repo.url, branch: 'main', tagPattern: '12.3.*', manifestPath: 'composer.lock' };
    const first = await checker.check(distribution(upstream));
    const head = (await checker.listRemote(repo.url)).branches.get('main');
    expect(first.builds).toEqual([
      { kind: 'tag', ref: '12.3.3', commit: repo.commits['12.3.3'] },
      { kind: 'branch', ref: 'main', commit: head },
    ]);
    const sha = await addBranchCommit(repo, 'Hotfix without a release');
    const next = await checker.check(distribution(upstream, first.pollState));
    expect(next.builds).toEqual([{ kind: 'branch', ref: 'main', commit: sha }]);
    expect(next.pollState).toEqual({ 'branch:main': sha });
  });

  test('a missing branch is a clear validation error', async () => {
    const upstream: UpstreamSource = { kind: 'git', url: repo.url, branch: 'release-99', manifestPath: 'composer.lock' };
    await expect(checker.check(distribution(upstream))).rejects.toThrow(ValidationError);
    await expect(checker.check(distribution(upstream))).rejects.toThrow(/release-99/);
  });

  test('a URL that is not a repository is a non-transient error naming it', async () => {
    const url = `file://${dir}/nope`;
    const err = await checker.check(distribution({ kind: 'git', url, manifestPath: 'composer.lock' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(url);
  });

  test('a refused connection is transient; credentials never appear in the message', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await checker
      .check(distribution({ kind: 'git', url: `http://user:s3cret@127.0.0.1:${port}/repo.git`, manifestPath: 'composer.lock' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).not.toContain('s3cret');
  });

  test('an upstream answering 5xx is transient, 404 is not', async () => {
    let status = 502;
    const server: Server = createServer((_req, res) => {
      res.writeHead(status).end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`;
    try {
      await expect(checker.listRemote(url)).rejects.toThrow(TransientError);
      status = 404;
      await expect(checker.listRemote(url)).rejects.toThrow(ValidationError);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('repository URL matching (webhooks → git upstreams)', () => {
  test('https, .git, scp-style and ssh:// spellings of one repository are equal', () => {
    const forms = [
      'https://github.com/Goalgorilla/social_template',
      'https://github.com/goalgorilla/social_template.git',
      'https://user:token@github.com/goalgorilla/social_template.git/',
      'git@github.com:goalgorilla/social_template.git',
      'ssh://git@github.com/goalgorilla/social_template.git',
      'git://github.com/goalgorilla/social_template.git',
    ];
    expect(new Set(forms.map(normalizeRepoUrl))).toEqual(new Set(['github.com/goalgorilla/social_template']));
    expect(normalizeRepoUrl('https://github.com/goalgorilla/other')).not.toBe(normalizeRepoUrl(forms[0]!));
    expect(normalizeRepoUrl('file:///tmp/a/repo')).toBe(normalizeRepoUrl('/tmp/a/repo'));
  });
});
