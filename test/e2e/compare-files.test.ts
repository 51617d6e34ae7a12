/**
 * Compare's file list on real builds: an Open Social upstream whose releases also change README, patches/, assets
 * and config, built by the real LocalDriver through the BuildService into the store, then compared over the admin
 * API and rendered as the Compare page. `git diff --name-status` on the upstream is the independent oracle.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import type { CompareResult, FileDiff } from '../../src/domain/compare/types.js';
import type { Platform } from '../../src/domain/platform.js';
import { LocalDriver } from '../../src/hosting/local-driver.js';
import { BuildService } from '../../src/services/build-service.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../support/git-fixtures.js';
import { ADMIN_TOKEN, api, startHttpServer, type HttpTestServer } from '../support/http.js';
import { ADMIN } from '../support/seed.js';

const PNG_A = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 1]);
const PNG_B = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 2]);
const NOTES = '# Upgrade notes\n\nRun `drush updb` after moving a site.\n';
const CONFIG_FILES = 25;

let server: HttpTestServer;
let upstream: GitFixtureRepo;
const built: Record<string, Platform> = {};

const CHANGE_OF: Record<string, FileDiff['change']> = { A: 'added', D: 'removed', M: 'modified' };
/** What git itself says changed between two commits (renames as add + remove). */
const gitChanges = async (from: string, to: string): Promise<[string, FileDiff['change']][]> =>
  (await runGit(['-C', upstream.path, '-c', 'core.quotepath=off', 'diff', '--name-status', '--no-renames', from, to])).stdout
    .split('\n')
    .filter(Boolean)
    .map((line): [string, FileDiff['change']] => {
      const [status, path] = line.split('\t');
      return [path!, CHANGE_OF[status!]!];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));

const blob = async (commit: string, path: string) => (await runGit(['-C', upstream.path, 'rev-parse', `${commit}:${path}`])).stdout.trim().slice(0, 7);

const compare = async (from: string, to: string): Promise<CompareResult> => {
  const res = await api(server.baseUrl, 'GET', `/api/compare?from=${from}&to=${to}&files=1`);
  expect(res.status).toBe(200);
  return res.body as CompareResult;
};

const page = async (path: string): Promise<string> => {
  const res = await fetch(server.baseUrl + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
};

/** The File changes section of a Compare page. */
const fileSection = (htmlText: string): string => htmlText.slice(htmlText.indexOf('<h2>File changes</h2>'));

beforeAll(async () => {
  const dir = await makeTempDir('distro-compare-files-');
  upstream = await createOpenSocialRepo(join(dir, 'up'), []);
  await addVersion(upstream, '12.3.3', {
    write: {
      'README.md': '# Social platform\n\nVersion 1 of our build.\n',
      'patches/social-event.patch': '--- a/social_event.module\n+++ b/social_event.module\n@@ -1 +1 @@\n-old\n+fix 1\n',
      'docs/upgrade-notes.md': NOTES,
      'scripts/deploy.sh': '#!/bin/sh\ndrush deploy\n',
      'web/logo.png': PNG_A,
      '.htaccess': 'Options -Indexes\n',
    },
  });
  await addVersion(upstream, '12.4.2', {
    write: {
      'README.md': '# Social platform\n\nVersion 2 of our build.\n',
      'patches/social-event.patch': '--- a/social_event.module\n+++ b/social_event.module\n@@ -1 +1 @@\n-old\n+fix 2\n',
      'patches/new-fix.patch': '--- a/x\n+++ b/x\n',
      'docs/upgrading.md': NOTES,
      'web/logo.png': PNG_B,
    },
    remove: ['docs/upgrade-notes.md', 'scripts/deploy.sh'],
  });
  // A later release that adds a lot of exported configuration.
  await addVersion(upstream, '12.4.1', {
    write: Object.fromEntries(Array.from({ length: CONFIG_FILES }, (_, i) => [`config/sync/views.view.v${i}.yml`, `id: v${i}\nlabel: View ${i}\n`])),
  });

  server = await startHttpServer();
  const distribution = await server.services.distributions.create({
    slug: 'social',
    title: 'Open Social 12',
    upstream: { kind: 'git', url: upstream.url, manifestPath: 'composer.json' },
    policy: { pollIntervalMinutes: 0, autoTarget: false },
  });
  const builds = new BuildService({
    repos: server.repos,
    driver: new LocalDriver({ root: join(dir, 'data'), allowLocalUpstreams: true }),
    events: server.services.events,
    targets: server.services.distributions,
  });
  for (const [name, version] of [['social-a', '12.3.3'], ['social-b', '12.4.2'], ['social-c', '12.4.1']] as const) {
    const queued = await server.repos.platforms.create({
      name,
      distributionId: distribution.id,
      source: { ref: version, commit: upstream.commits[version]! },
      createdBy: ADMIN,
      status: 'queued',
    });
    built[name] = (await builds.build(queued.id))!;
    expect(built[name]!.status).toBe('ready');
  }
  // Registered by hand with its composer files only: no recorded tree.
  await server.services.platforms.register(
    { name: 'social-legacy', distribution: 'social', ref: '12.3.3', commit: 'c'.repeat(40), files: { 'composer.json': '{"require":{}}' } },
    ADMIN,
  );
});
afterAll(() => server?.close());

describe('Compare of every tracked file between real builds', () => {
  test('the built platforms carry their trees through the store', async () => {
    const a = await server.services.platforms.get('social-a');
    const listed = (await runGit(['-C', upstream.path, 'ls-tree', '-r', '--name-only', upstream.commits['12.3.3']!])).stdout.split('\n').filter(Boolean);
    expect(Object.keys(a.manifest.tree ?? {}).sort()).toEqual(listed.sort());
    expect(a.manifest.files['README.md']).toBe('# Social platform\n\nVersion 1 of our build.\n');
    expect(a.manifest.files).not.toHaveProperty(['web/logo.png']);
  });

  test('lists exactly the files git says changed, with patches, notes and counts', async () => {
    const r = await compare('social-a', 'social-b');
    const expected = await gitChanges(upstream.commits['12.3.3']!, upstream.commits['12.4.2']!);
    expect(r.files.map((f) => [f.path, f.change])).toEqual(expected);
    expect(expected.map(([p]) => p)).toEqual(expect.arrayContaining(['docs/upgrade-notes.md', 'docs/upgrading.md', 'README.md', 'web/logo.png']));
    const count = (c: FileDiff['change']) => expected.filter(([, change]) => change === c).length;
    expect(r.fileSummary).toEqual({ scope: 'tree', added: count('added'), removed: count('removed'), modified: count('modified'), unlisted: 0 });

    const file = (path: string) => r.files.find((f) => f.path === path)!;
    expect(file('README.md').patch).toContain('-Version 1 of our build.\n+Version 2 of our build.\n');
    expect(file('patches/social-event.patch').patch).toContain('-+fix 1\n++fix 2\n');
    expect(file('docs/upgrading.md').patch).toContain('+Run `drush updb` after moving a site.');
    expect(file('scripts/deploy.sh').patch).toMatch(/^\+\+\+ \/dev\/null$/m);
    expect(file('composer.json').patch).toContain('+        "goalgorilla/open_social": "~12.4.0",');
    expect(file('composer.lock').note).toMatch(/package table/);
    const [logoA, logoB] = [await blob(upstream.commits['12.3.3']!, 'web/logo.png'), await blob(upstream.commits['12.4.2']!, 'web/logo.png')];
    expect(file('web/logo.png')).toMatchObject({ patch: '', note: `Binary or large file: blob ${logoA} → ${logoB}.` });
    expect(r.files.map((f) => f.path)).not.toContain('.htaccess');
  });

  test('the Compare page shows the summary line and one open entry per file below the package table', async () => {
    const r = await compare('social-a', 'social-b');
    const htmlText = await page('/compare/social-a/social-b');
    expect(htmlText.indexOf('id="packages"')).toBeLessThan(htmlText.indexOf('<h2>File changes</h2>'));
    const section = fileSection(htmlText);
    const s = r.fileSummary!;
    expect(section).toContain(
      `<p id="file-summary"><strong>${r.files.length} files changed</strong>: ${s.added} added, ${s.removed} removed, ${s.modified} modified</p>`,
    );
    const entries = [...section.matchAll(/<details class="diff" data-change="(\w+)"\s*(open)?>\s*<summary><code>([^<]*)<\/code>/g)];
    expect(entries.map((m) => [m[3], m[1]])).toEqual(r.files.map((f) => [f.path, f.change]));
    // Few files: small patches start open.
    expect(entries.filter((m) => m[2] === 'open').length).toBeGreaterThan(0);
    expect(section).toContain('<span class="add">+Version 2 of our build.</span>');
    expect(section).toContain('<div class="note">Binary or large file: blob ');
    expect(section).not.toContain('id="file-scope"');
  });

  test('many changed files start collapsed', async () => {
    const r = await compare('social-b', 'social-c');
    expect(r.fileSummary).toMatchObject({ scope: 'tree', added: CONFIG_FILES, removed: 0 });
    const section = fileSection(await page('/compare/social-b/social-c'));
    const total = r.fileSummary!.added + r.fileSummary!.modified;
    expect(section).toContain(`<strong>${total} files changed</strong>: ${CONFIG_FILES} added, 0 removed, ${r.fileSummary!.modified} modified`);
    expect((section.match(/<details class="diff"/g) ?? []).length).toBe(total);
    expect(section).not.toMatch(/<details class="diff" data-change="\w+"\s*open>/);
    expect(section).toContain('click a file to show its changes');
  });

  test('against a platform without a recorded tree only the manifest files are compared, and the page says why', async () => {
    const r = await compare('social-legacy', 'social-b');
    expect(r.fileSummary).toMatchObject({ scope: 'manifest' });
    expect(r.files.map((f) => f.path)).toEqual(['composer.json', 'composer.lock']);
    const section = fileSection(await page('/compare/social-legacy/social-b'));
    expect(section).toContain('Only the manifest files are compared: social-legacy has no recorded file tree');
  });
});
