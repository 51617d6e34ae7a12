/**
 * Issue 8: `projects[__proto__][version] = 1` in a makefile polluted Object.prototype, after which every admin write
 * answered 400 until a restart. Each hostile manifest goes in through a public surface of the whole app
 * (`POST /api/platforms` with `files`, and a real git upstream build); each must be refused with an error naming the
 * file and the key, and leave nothing behind: no prototype property, later admin writes still working.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp, type DistroApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { api as apiCall, type JsonResponse } from '../support/http.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'security-admin-token-0123456789';
const COMMIT = 'a'.repeat(40);

let dir: string;
let app: DistroApp;
let repo: GitFixtureRepo;
let writes = 0;

const api = (method: string, path: string, body?: unknown): Promise<JsonResponse> =>
  apiCall(app.url!, method, path, body, { authorization: `Bearer ${TOKEN}` });

/** Every name an attack could have planted on Object.prototype. */
const PLANTED = ['version', 'x', 'polluted', 'type', 'download'];

const expectNothingPolluted = async (): Promise<void> => {
  const empty: Record<string, unknown> = {};
  for (const key of PLANTED) expect([key, empty[key]]).toEqual([key, undefined]);
  expect(Object.getOwnPropertyNames(Object.prototype).filter((k) => PLANTED.includes(k))).toEqual([]);
  // The symptom of the issue: admin writes validated by zod failed on inherited keys.
  const slug = `after-${++writes}`;
  const created = await api('POST', '/api/distributions', { slug, title: 'After the attack' });
  expect([created.status, created.body?.slug]).toEqual([201, slug]);
  const platform = await api('POST', '/api/platforms', {
    name: `${slug}-p`,
    distribution: slug,
    ref: '1.0.0',
    commit: COMMIT,
    files: { 'platform.make': 'core = 7.x\nprojects[views][version] = 3.14\n' },
  });
  expect(platform.status).toBe(201);
};

beforeAll(async () => {
  dir = await makeTempDir('distro-security-');
  repo = await createOpenSocialRepo(join(dir, 'upstream'), ['12.4.1']);
  app = await buildApp(loadConfig({ PORT: '0', DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', ADMIN_TOKEN: TOKEN, ALLOW_LOCAL_UPSTREAMS: 'true' }), { logger: silentLogger() });
  await app.start();
  expect((await api('POST', '/api/distributions', { slug: 'social', title: 'Social' })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await expectNothingPolluted();
});

let n = 0;
const register = (files: Record<string, string>) =>
  api('POST', '/api/platforms', { name: `hostile-${++n}`, distribution: 'social', ref: '1.0.0', commit: COMMIT, files });

describe('POST /api/platforms with hostile manifest files', () => {
  test.each([
    ['platform.make', 'core = 7.x\nprojects[__proto__][version] = 1\n', '__proto__', 'platform.make line 2'],
    ['platform.make', 'projects[views][constructor][prototype] = 1\n', 'constructor', 'platform.make line 1'],
    ['platform.make', '__proto__[version] = 1\n', '__proto__', 'platform.make line 1'],
    ['platform.make.yml', 'core: 7.x\nprojects:\n  __proto__:\n    version: "1"\n', '__proto__', 'platform.make.yml'],
    ['platform.make.yml', 'projects: { views: { constructor: { prototype: { version: "1" } } } }\n', 'constructor', 'platform.make.yml'],
    ['composer.lock', '{"packages": [{"name": "a/b", "version": "1.0.0", "extra": {"__proto__": {"version": "1"}}}]}', '__proto__', 'composer.lock'],
    ['composer.json', '{"require": {"__proto__": "1.0"}}', '__proto__', 'composer.json'],
    ['composer.json', '{"require": {"a/b": "1.0"}, "extra": {"x": [{"prototype": {"polluted": true}}]}}', 'prototype', 'composer.json'],
  ])('%s with %j: 400 naming the key and the file', async (path, content, key, where) => {
    const res = await register({ [path]: content });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation');
    expect(res.body.error.message).toContain(`\`${key}\``);
    expect(res.body.error.message).toContain(where);
    expect(await app.repos.platforms.getByName(`hostile-${n}`)).toBeNull();
  });

  test('a file *path* named __proto__ in `files` is not a manifest and changes nothing', async () => {
    const body = `{"name": "hostile-path", "distribution": "social", "ref": "1.0.0", "commit": "${COMMIT}", "files": {"__proto__": "x", "composer.json": "{\\"require\\": {\\"a/b\\": \\"1.0\\"}}"}}`;
    const res = await api('POST', '/api/platforms', body);
    expect([res.status, res.body.name]).toEqual([201, 'hostile-path']);
    const stored = (await app.repos.platforms.getByName('hostile-path'))!;
    expect(stored.manifest.packages).toEqual([{ name: 'a/b', version: '1.0' }]);
    expect(Object.keys(stored.manifest.files)).toEqual(['composer.json']);
  });
});

describe('a hostile makefile in a real git upstream', () => {
  test('the build fails naming the file and the key; nothing is polluted', async () => {
    await mkdir(join(repo.path, 'make'), { recursive: true });
    await writeFile(join(repo.path, 'make', 'platform.make'), 'core = 7.x\nprojects[__proto__][version] = 1\n');
    const git = (args: string[]) => runGit(['-c', 'user.name=t', '-c', 'user.email=t@example.test', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], { cwd: repo.path });
    await git(['add', 'make/platform.make']);
    await git(['commit', '-q', '-m', 'hostile makefile']);
    await git(['tag', '-a', '12.9.0', '-m', '12.9.0']);

    const created = await api('POST', '/api/distributions', {
      slug: 'hostile-upstream',
      title: 'Hostile upstream',
      upstream: { kind: 'git', url: repo.url, tagPattern: '12.9.*', manifestPath: 'make/platform.make' },
      policy: { pollIntervalMinutes: 0, autoTarget: false },
    });
    expect(created.status).toBe(201);
    expect((await api('POST', '/api/distributions/hostile-upstream/poll')).status).toBeLessThan(300);
    const built = async () => (await app.repos.platforms.list({}, { limit: 100, offset: 0 })).items.find((p) => p.source.ref === '12.9.0');
    await waitFor(async () => ['failed', 'ready'].includes((await built())?.status ?? ''), 'the hostile build to end', 60_000);
    const platform = (await built())!;
    expect(platform.status).toBe('failed');
    expect(platform.buildLog.join('\n')).toMatch(/platform\.make line 2 uses the key `__proto__`/);
  }, 90_000);
});
