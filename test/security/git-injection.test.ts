/**
 * Upstream URLs and ref names never become git options or transports. Replays `--upload-pack=touch pwned #` (which
 * ran the command through `git ls-remote`) and its variants through the admin API, through distributions stored
 * before validation existed (poll and build jobs), and checks the transport limit and the DNS check on their own.
 * A `pwned` marker file never appears, and a local git server never sees a connection.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Distribution } from '../../src/domain/distribution.js';
import { ValidationError } from '../../src/domain/errors.js';
import { BUILD_JOB, buildKey } from '../../src/domain/jobs.js';
import { parseLsRemote } from '../../src/upstream/git-checker.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { UpstreamGuard } from '../../src/upstream/upstream-guard.js';
import { addVersion, createOpenSocialRepo, makeTempDir } from '../support/git-fixtures.js';
import { blockText } from '../support/slack-stand-in.js';
import { ADMIN } from '../support/seed.js';
import { waitFor } from '../support/wait.js';
import { gitDistribution, startSecurityApp, type SecurityApp } from './security-app.js';

describe('upstream URLs through the admin API (remote upstreams only, the default)', () => {
  let sec: SecurityApp;
  let marker: string;
  beforeAll(async () => {
    sec = await startSecurityApp();
    marker = join(sec.dir, 'pwned');
  });
  afterAll(() => sec?.close());

  test('option injection, remote helpers, local paths and local hosts are refused with 400 naming upstream.url', async () => {
    const refused = [
      `--upload-pack=touch ${marker} #`,
      `--upload-pack=touch${'${IFS}'}${marker}`,
      `-c core.sshCommand=touch ${marker}`,
      `--config=core.sshCommand=touch${'${IFS}'}${marker}`,
      `ext::sh -c touch% ${marker}`,
      `ext::sh`,
      'fd::3',
      `ssh://-oProxyCommand=touch%20${marker}/repo.git`,
      '-oProxyCommand=x:repo',
      'git@-oProxyCommand=x:repo',
      'file:///etc',
      '/etc',
      'relative/path',
      'http://127.0.0.1:9/repo.git',
      'http://example.org/repo.git',
      'https://localhost/repo.git',
      'https://127.0.0.1/repo.git',
      'https://2130706433/repo.git',
      'https://[::1]/repo.git',
      'https://10.1.2.3/repo.git',
      'https://169.254.169.254/latest/meta-data',
      'ftp://example.org/repo.git',
      'https://example.org/repo.git\n--upload-pack=x',
    ];
    for (const [i, url] of refused.entries()) {
      const res = await sec.api('POST', '/api/distributions', gitDistribution(`bad-${i}`, { url }));
      expect({ url, status: res.status }).toEqual({ url, status: 400 });
      expect(res.json.error.issues).toEqual([expect.stringMatching(/^upstream\.url: /)]);
    }
    // The same rules on a change of upstream.
    expect((await sec.api('POST', '/api/distributions', gitDistribution('good', { url: 'https://github.com/goalgorilla/open_social.git' }))).status).toBe(201);
    const patched = await sec.api('PATCH', '/api/distributions/good', { upstream: { kind: 'git', url: `--upload-pack=touch ${marker}`, manifestPath: 'composer.json' } });
    expect(patched.status).toBe(400);
    expect(patched.json.error.issues).toEqual([expect.stringMatching(/^upstream\.url: starts with "-"/)]);
    expect(existsSync(marker)).toBe(false);
  });

  test('branch names are git ref names that cannot be read as options', async () => {
    for (const branch of ['--upload-pack=x', '-x', 'a..b', 'a b', 'x.lock', 'a:b', '@{u}', 'refs/heads/']) {
      const res = await sec.api('POST', '/api/distributions', gitDistribution('branchy', { url: 'https://github.com/a/b.git', branch }));
      expect({ branch, status: res.status }).toEqual({ branch, status: 400 });
      expect(res.json.error.issues).toEqual([expect.stringMatching(/^upstream\.branch: not a valid git branch name/)]);
    }
    expect((await sec.api('POST', '/api/distributions', gitDistribution('manifest', { url: 'https://github.com/a/b.git', manifestPath: '../../etc/passwd' }))).status).toBe(400);
  });

  test('remote URLs in all the usual spellings are accepted, credentials shown redacted', async () => {
    const accepted = [
      'https://github.com/goalgorilla/open_social.git',
      'git@github.com:goalgorilla/open_social.git',
      'ssh://git@git.example.org:2222/social/distro.git',
      'git://git.example.org/social.git',
      'https://deploy:s3cr3t-deploy-token@git.example.org/social.git',
    ];
    for (const [i, url] of accepted.entries()) {
      const res = await sec.api('POST', '/api/distributions', gitDistribution(`ok-${i}`, { url }));
      expect({ url, status: res.status }).toEqual({ url, status: 201 });
    }
    const shown = await sec.api('GET', '/api/distributions/ok-4');
    expect(shown.text).not.toContain('s3cr3t-deploy-token');
    expect(shown.text).toContain('https://***@git.example.org/social.git');
    // Sending the shown URL back keeps the stored credentials.
    expect((await sec.api('PATCH', '/api/distributions/ok-4', { upstream: shown.json.upstream })).status).toBe(200);
    expect((await sec.app.services.distributions.get('ok-4')).upstream).toMatchObject({ url: 'https://deploy:s3cr3t-deploy-token@git.example.org/social.git' });
  });

  test('a host name that resolves to loopback is refused when polled, before git connects', async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // `2130706433` is 127.0.0.1 to the resolver, but not an IP literal to a URL parser for git://.
      const url = `git://2130706433:${port}/repo.git`;
      expect((await sec.api('POST', '/api/distributions', gitDistribution('rebind', { url }))).status).toBe(201);
      expect((await sec.api('POST', '/api/distributions/rebind/poll')).status).toBe(202);
      const failure = await sec.slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('rebind'), 'poll failure notice', 30_000);
      expect(blockText(failure.args.blocks)).toMatch(/resolves to the local or private address 127\.0\.0\.1/);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('distributions stored before validation existed (poll and build jobs)', () => {
  let sec: SecurityApp;
  let marker: string;
  const stored = async (slug: string, url: string): Promise<Distribution> =>
    sec.app.repos.distributions.create({
      slug,
      title: slug,
      upstream: { kind: 'git', url, manifestPath: 'composer.json' },
      policy: { pollIntervalMinutes: 0, autoTarget: false },
    });

  beforeAll(async () => {
    // Local upstreams allowed: only the option and transport rules stand between these URLs and git.
    sec = await startSecurityApp({ ALLOW_LOCAL_UPSTREAMS: 'true' });
    marker = join(sec.dir, 'pwned');
  });
  afterAll(() => sec?.close());

  test('a poll of `--upload-pack=touch pwned #` runs nothing and tells the channel why', async () => {
    await stored('inject', `--upload-pack=touch ${marker} #`);
    expect((await sec.api('POST', '/api/distributions/inject/poll')).status).toBe(202);
    const failure = await sec.slack.waitFor((c) => c.method === 'chat.postMessage' && blockText(c.args.blocks).includes('inject'), 'poll failure notice', 30_000);
    expect(blockText(failure.args.blocks)).toMatch(/Invalid upstream URL: starts with "-"/);
    expect(existsSync(marker)).toBe(false);
  });

  test('builds from `ext::` and option-like URLs fail without running anything', async () => {
    for (const [i, url] of [`ext::sh -c touch% ${marker}`, `--upload-pack=touch ${marker} #`, `-c core.sshCommand=touch ${marker}`].entries()) {
      const d = await stored(`build-${i}`, url);
      const platform = await sec.app.repos.platforms.create({
        name: `build-${i}-1.0.0`,
        distributionId: d.id,
        source: { ref: '1.0.0', commit: 'c'.repeat(40) },
        createdBy: ADMIN,
        status: 'queued',
      });
      await sec.app.jobs.enqueue(BUILD_JOB, { platformId: platform.id }, { uniqueKey: buildKey(platform.id) });
      await waitFor(async () => (await sec.app.repos.platforms.get(platform.id))!.status === 'failed', `build ${i} to fail`, 30_000);
      expect((await sec.app.repos.platforms.get(platform.id))!.buildLog.join('\n')).toMatch(/Invalid upstream URL/);
    }
    expect(existsSync(marker)).toBe(false);
  });

  test('tags an upstream advertises that git would refuse or read as options are never built', async () => {
    const repo = await createOpenSocialRepo(join(sec.dir, 'up'), ['12.3.3']);
    await addVersion(repo, '12.4.2');
    await runGit(['-C', repo.path, 'update-ref', 'refs/tags/--upload-pack=touch', 'HEAD']);
    await runGit(['-C', repo.path, 'update-ref', 'refs/tags/-12.9.9', 'HEAD']);
    await stored('tags', repo.url);
    expect((await sec.api('POST', '/api/distributions/tags/poll')).status).toBe(202);
    const refs = async () => ((await sec.api('GET', '/api/platforms?distribution=tags')).json.items as { source?: { ref: string }; name: string }[]).map((p) => p.name);
    // One poll records every new build at once: the first poll builds only the latest valid tag.
    await waitFor(async () => (await refs()).length > 0, 'the poll to record a build', 30_000);
    expect(await refs()).toEqual(['tags-12.4.2']);
  });
});

describe('the git layer on its own', () => {
  test('ref names a crafted server advertises are skipped when parsing ls-remote', () => {
    const sha = 'a'.repeat(40);
    const refs = parseLsRemote(
      ['refs/heads/main', 'refs/heads/-x', 'refs/tags/1.0.0', 'refs/tags/--upload-pack=touch', 'refs/tags/a..b', 'refs/tags/x.lock', 'refs/tags/1.0.1^{}', 'refs/tags/-y^{}']
        .map((ref) => `${sha}\t${ref}`)
        .join('\n'),
    );
    expect([...refs.branches.keys()]).toEqual(['main']);
    expect([...refs.tags.keys()]).toEqual(['1.0.0', '1.0.1']);
  });

  test('the transport limit refuses file:// and ext:: even when a URL got past parsing', async () => {
    const remoteOnly = new UpstreamGuard({ allowLocal: false }).gitEnv();
    const repo = await createOpenSocialRepo(await makeTempDir('distro-sec-git-'), ['12.3.3']);
    await expect(runGit(['ls-remote', '--', repo.url], { env: remoteOnly })).rejects.toThrow(/transport 'file' not allowed/);
    const marker = join(repo.path, 'pwned');
    await expect(runGit(['ls-remote', '--', `ext::sh -c touch% ${marker}`], { env: new UpstreamGuard({ allowLocal: true }).gitEnv() })).rejects.toThrow(
      /transport 'ext' not allowed/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  test('a name resolving to a private address is refused; a public one is not', async () => {
    const guard = (address: string) => new UpstreamGuard({ allowLocal: false }, async () => [{ address: '203.0.113.7' }, { address }]);
    const error = await guard('10.0.0.5').check('https://git.internal.example/x.git').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([expect.stringMatching(/^upstream\.url: host `git\.internal\.example` resolves to the local or private address 10\.0\.0\.5/)]);
    for (const address of ['127.0.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:192.168.1.1', '100.64.0.1', '169.254.169.254']) {
      await expect(guard(address).check('ssh://git@git.internal.example/x.git')).rejects.toThrow(ValidationError);
    }
    await expect(guard('198.51.100.20').check('git@git.example.org:x.git')).resolves.toBeUndefined();
  });
});
