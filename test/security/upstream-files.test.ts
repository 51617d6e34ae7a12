/**
 * Files of an upstream or a build are read confined: from git objects, never through a symbolic link, never a
 * hard-linked or special file, and the drivers never write through a link out of their root.
 *
 * The first attack is replayed against the real process (src/main.ts, as `npm start` runs it), whose
 * /proc/self/environ holds ADMIN_TOKEN, LINK_SECRET and GITHUB_WEBHOOK_SECRET: a release tracking
 * `environ.info -> /proc/self/environ` once put them into Compare. The store on disk is checked too, so the
 * response redaction cannot hide a file that was read.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { link, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Platform } from '../../src/domain/platform.js';
import { CommandDriver } from '../../src/hosting/command-driver.js';
import { BuildService } from '../../src/services/build-service.js';
import { BUILD_JOB, buildKey } from '../../src/domain/jobs.js';
import { freePort } from '../support/free-port.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { ADMIN } from '../support/seed.js';
import { waitFor } from '../support/wait.js';
import { entriesOf, gitDistribution, leakedSecrets, SECRETS, startSecurityApp, type SecurityApp } from './security-app.js';

describe('a tracked symbolic link to /proc/self/environ, against the real process', () => {
  let dir: string;
  let repo: GitFixtureRepo;
  let child: ChildProcess;
  let base: string;
  const processEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ADMIN_TOKEN: SECRETS.ADMIN_TOKEN,
    LINK_SECRET: SECRETS.LINK_SECRET,
    GITHUB_WEBHOOK_SECRET: SECRETS.GITHUB_WEBHOOK_SECRET,
    ALLOW_LOCAL_UPSTREAMS: 'true',
    LOG_LEVEL: 'warn',
  };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  };
  const platformsReady = (count: number) =>
    waitFor(
      async () => {
        const { text } = await api('GET', '/api/platforms?distribution=social');
        const items = (JSON.parse(text) as { items: Platform[] }).items;
        return items.filter((p) => p.status === 'ready' || p.status === 'locked' || p.status === 'failed').length >= count;
      },
      `${count} platforms built`,
      60_000,
    );

  beforeAll(async () => {
    dir = await makeTempDir('distro-sec-environ-');
    repo = await createOpenSocialRepo(join(dir, 'up'), ['12.3.3']);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      env: { ...processEnv, PORT: String(port), DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await waitFor(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), 'the process to listen', 60_000);
  }, 90_000);
  afterAll(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('Compare (API, page) and the store show the link, never what it points to', async () => {
    const created = await api('POST', '/api/distributions', gitDistribution('social', { url: repo.url, tagPattern: '12.*' }));
    expect(created.status).toBe(201);
    expect((await api('POST', '/api/distributions/social/poll')).status).toBe(202);
    await platformsReady(1);
    await addVersion(repo, '12.4.2', {
      links: {
        'environ.info': '/proc/self/environ',
        'README.md': '/proc/self/environ',
        'modules/custom/x/x.info.yml': '../../../../../../../../../../../../proc/self/environ',
      },
    });
    expect((await api('POST', '/api/distributions/social/poll')).status).toBe(202);
    await platformsReady(2);

    const [from, to] = await Promise.all([api('GET', '/api/platforms/social-12.3.3'), api('GET', '/api/platforms/social-12.4.2')]);
    const target = JSON.parse(to.text) as Platform;
    expect(target.status).toBe('ready');
    expect(target.buildLog.join('\n')).toMatch(/3 symbolic links recorded \(not followed\)/);
    expect(target.buildLog.join('\n')).toMatch(/environ\.info is not read for the manifest: not a regular file \(git mode 120000\)/);

    const compare = await api('GET', '/api/compare?from=social-12.3.3&to=social-12.4.2&files=1');
    expect(compare.status).toBe(200);
    const files = (JSON.parse(compare.text) as { files: { path: string; note?: string }[] }).files;
    expect(files.find((f) => f.path === 'environ.info')?.note).toBe('Symbolic link (not followed): none ⇒ → /proc/self/environ.');
    expect(files.find((f) => f.path === 'README.md')?.note).toMatch(/Symbolic link \(not followed\)/);

    const page = await api('GET', `/compare/${(JSON.parse(from.text) as Platform).id}/${target.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('environ.info');
    // What /proc/self/environ of this process holds: its secrets, and its PATH and HOME (which no redaction hides).
    for (const text of [compare.text, page.text]) {
      expect(leakedSecrets(text)).toEqual([]);
      expect(text).not.toContain(`PATH=${processEnv.PATH}`);
      expect(text).not.toContain(`HOME=${processEnv.HOME}`);
    }
    // The embedded store on disk (the database and its write-ahead log, raw bytes) never held the contents either.
    const onDisk = async () =>
      (await Promise.all(['distro.db', 'distro.db-wal'].map((f) => readFile(join(dir, 'data', f), 'latin1').catch(() => '')))).join('');
    await waitFor(async () => (await onDisk()).includes('environ.info'), 'the database to hold the build', 30_000);
    const stored = await onDisk();
    expect(leakedSecrets(stored)).toEqual([]);
    expect(stored).not.toContain(`PATH=${processEnv.PATH}`);
  }, 120_000);
});

describe('links, hard links and special files in upstreams and builds (in-process app)', () => {
  let sec: SecurityApp;
  let repo: GitFixtureRepo;

  beforeAll(async () => {
    sec = await startSecurityApp({ ALLOW_LOCAL_UPSTREAMS: 'true' });
    repo = await createOpenSocialRepo(join(sec.dir, 'up'), ['12.3.3']);
    const created = await sec.api('POST', '/api/distributions', gitDistribution('social', { url: repo.url, tagPattern: '12.*' }));
    expect(created.status).toBe(201);
  });
  afterAll(() => sec?.close());

  /** Records a release as a queued platform and runs its build job, as a poll would. */
  const build = async (version: string): Promise<Platform> => {
    const distribution = await sec.app.services.distributions.get('social');
    const queued = await sec.app.repos.platforms.create({
      name: `social-${version}`,
      distributionId: distribution.id,
      source: { ref: version, commit: repo.commits[version]! },
      createdBy: ADMIN,
      status: 'queued',
    });
    await sec.app.jobs.enqueue(BUILD_JOB, { platformId: queued.id }, { uniqueKey: buildKey(queued.id) });
    await waitFor(async () => ['ready', 'locked', 'failed'].includes((await sec.app.repos.platforms.get(queued.id))!.status), `build of ${version}`, 60_000);
    return (await sec.app.repos.platforms.get(queued.id))!;
  };

  test('a site directory or site file planted as a link (variants) is refused; nothing is written or read through it', async () => {
    await addVersion(repo, '12.4.1', {
      write: { 'sites/default/default.settings.php': '<?php\n' },
      links: {
        'sites/evil.example.org': sec.outsideDir,
        'sites/victim.example.org/site.json': sec.secretsFile,
        'sites/victim.example.org/settings.php': sec.secretsFile,
      },
    });
    const platform = await build('12.4.1');
    expect(platform.status).toBe('ready');
    const before = await readFile(sec.secretsFile, 'utf8');

    // Sites are installed by a worker job (202 + task): the install must fail, writing and reading nothing.
    const install = async (name: string): Promise<{ state: string; text: string }> => {
      const res = await sec.api('POST', '/api/sites', { name, platform: platform.name });
      if (res.status >= 400) return { state: `http ${res.status}`, text: res.text };
      expect(res.status).toBe(202);
      const taskPath = `/api/tasks/${res.json.task.number}`;
      await waitFor(async () => ['succeeded', 'failed'].includes((await sec.api('GET', taskPath)).json.state), `install of ${name}`, 30_000);
      const task = await sec.api('GET', taskPath);
      return { state: task.json.state, text: res.text + task.text };
    };

    const evil = await install('evil.example.org');
    expect(evil.state).not.toBe('succeeded');
    expect(await entriesOf(sec.outsideDir)).toEqual([]);
    expect((await sec.api('GET', '/api/sites/evil.example.org')).status).toBe(404);

    const victim = await install('victim.example.org');
    expect(victim.state).not.toBe('succeeded');
    expect(await readFile(sec.secretsFile, 'utf8')).toBe(before);
    expect(leakedSecrets(victim.text)).toEqual([]);

    // A site installed normally on the same platform still works.
    expect((await install('good.example.org')).state).toBe('succeeded');
  });

  test('an upstream whose `sites` is a link out of the platform fails to build and writes nothing there', async () => {
    await addVersion(repo, '12.4.2', { remove: ['sites'], links: { sites: sec.outsideDir } });
    const platform = await build('12.4.2');
    expect(platform.status).toBe('failed');
    expect(platform.buildLog.join('\n')).toMatch(/sites leads outside .* through a symbolic link; refusing to use it/);
    expect(await entriesOf(sec.outsideDir)).toEqual([]);
    // The half checkout is gone, and with it the link (not what it pointed to).
    expect(await entriesOf(join(sec.dir, 'data', 'platforms', 'social-12.4.2'))).toEqual([]);
  });

  test('a plain build directory: hard links, links and linked directories are not read', async () => {
    const plain = join(sec.dir, 'plain-build');
    await mkdir(join(plain, 'web'), { recursive: true });
    await writeFile(join(plain, 'composer.json'), JSON.stringify({ require: { 'drupal/core': '^10.2' } }));
    await link(sec.secretsFile, join(plain, 'hard.info'));
    await symlink(sec.secretsFile, join(plain, 'soft.info'));
    await symlink(join(sec.dir, 'outside'), join(plain, 'linked'));
    const driver = new CommandDriver({
      templates: { build: 'true', maintenanceOn: 'true', backup: 'echo b', moveSite: 'true', postMigrate: 'true', verify: 'true', maintenanceOff: 'true', restore: 'true' },
      platformsRoot: join(sec.dir, 'unused'),
      allowLocalUpstreams: true,
    });
    const builds = new BuildService({ repos: sec.app.repos, driver, events: sec.app.services.events, targets: sec.app.services.distributions });
    const distribution = await sec.app.services.distributions.get('social');
    const make = async (name: string, commit: string) =>
      sec.app.repos.platforms.create({ name, distributionId: distribution.id, source: { ref: 'x', commit }, createdBy: ADMIN, status: 'queued', path: plain });

    const built = (await builds.build((await make('plain-a', 'a'.repeat(40))).id))!;
    expect(built.status).toBe('ready');
    expect(Object.keys(built.manifest.files)).toEqual(['composer.json']);
    expect(built.buildLog.join('\n')).toMatch(/hard\.info is not read for the manifest: .* has 2 hard links/);
    expect(leakedSecrets(JSON.stringify(built))).toEqual([]);

    // The manifest directory itself is a link out of the build.
    await sec.app.services.distributions.update('social', { upstream: { kind: 'git', url: repo.url, tagPattern: '12.*', manifestPath: 'linked/secrets.env' } });
    const linked = (await builds.build((await make('plain-b', 'b'.repeat(40))).id))!;
    expect(linked.status).toBe('failed');
    expect(linked.buildLog.join('\n')).toMatch(/through a symbolic link; refusing to use it/);
    expect(leakedSecrets(JSON.stringify(linked))).toEqual([]);
  });
});
