/** Recording a platform's tracked-file tree and small text contents from a real git repository. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { parseManifest } from '../../../src/domain/compare/manifest.js';
import { HostingError } from '../../../src/domain/errors.js';
import type { Manifest } from '../../../src/domain/platform.js';
import { addTrackedTree, contentCandidates, decodeText, DEFAULT_TREE_LIMITS, parseLsTree, type TreeEntry } from '../../../src/hosting/git-tree.js';
import { runGit } from '../../../src/upstream/git-exec.js';
import { openSocialBuild } from '../../support/fixtures.js';
import { addVersion, createOpenSocialRepo, makeTempDir, type GitFixtureRepo } from '../../support/git-fixtures.js';

const LATIN1 = Buffer.from('caf\xe9 au lait\n', 'latin1');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
const OTHER_FILES = {
  'README.md': '# Our platform\n\nRun `drush deploy` after moving a site.\n',
  'patches/social-event.patch': '--- a/social_event.module\n+++ b/social_event.module\n',
  'web/logo.png': PNG,
  'notes/latin1.txt': LATIN1,
  'notes/big.txt': 'x'.repeat(5_000),
  'vendor/acme/lib/README.txt': 'third party\n',
  'with space/and\ttab.txt': 'odd path\n',
};

const logs = () => {
  const lines: { message: string; level: string }[] = [];
  return { lines, log: (message: string, level = 'info') => void lines.push({ message, level }) };
};

const manifestOf = (version: string): Manifest => parseManifest(openSocialBuild(version).files);

describe('addTrackedTree on a real repository', () => {
  let repo: GitFixtureRepo;
  let commit: string;
  beforeAll(async () => {
    repo = await createOpenSocialRepo(join(await makeTempDir('distro-tree-'), 'up'), ['12.3.3']);
    commit = await addVersion(repo, '12.4.2', { write: OTHER_FILES });
  });

  const limits = { ...DEFAULT_TREE_LIMITS, maxFileBytes: 4_096 };

  test('records every tracked file with its git object id and keeps small text files', async () => {
    const { lines, log } = logs();
    const m = await addTrackedTree(manifestOf('12.4.2'), repo.path, commit, log, limits);
    const listed = (await runGit(['-C', repo.path, 'ls-tree', '-r', '-z', '--name-only', commit])).stdout.split('\0').filter(Boolean);
    expect(Object.keys(m.tree!).sort()).toEqual(listed.sort());
    for (const path of ['README.md', 'web/logo.png', 'with space/and\ttab.txt']) {
      expect(m.tree![path]).toBe((await runGit(['-C', repo.path, 'rev-parse', `${commit}:${path}`])).stdout.trim());
    }
    // Text under the size limit is kept verbatim; binary (NUL), non-UTF-8 and oversized files are not.
    expect(m.files['README.md']).toBe(OTHER_FILES['README.md']);
    expect(m.files['patches/social-event.patch']).toBe(OTHER_FILES['patches/social-event.patch']);
    expect(m.files['with space/and\ttab.txt']).toBe('odd path\n');
    expect(m.files['vendor/acme/lib/README.txt']).toBe('third party\n');
    for (const path of ['web/logo.png', 'notes/latin1.txt', 'notes/big.txt']) expect(m.files).not.toHaveProperty([path]);
    // The manifest files stay whatever their size, and the parsed packages are untouched.
    expect(m.files['composer.lock']).toBe(openSocialBuild('12.4.2').files['composer.lock']);
    expect(m.packages).toEqual(manifestOf('12.4.2').packages);
    expect(lines).toContainEqual({ message: expect.stringMatching(/^File tree: 9 tracked files, 4 small text files kept/), level: 'info' });
  });

  test('the content budget goes to the project files first, then third-party directories', async () => {
    // Room for the three small project files but not the vendor README as well; the non-UTF-8 notes/latin1.txt,
    // read on the way, costs no budget.
    const tight = { ...limits, maxTotalBytes: OTHER_FILES['README.md'].length + OTHER_FILES['patches/social-event.patch'].length + 9 };
    const m = await addTrackedTree(manifestOf('12.4.2'), repo.path, commit, () => {}, tight);
    expect(Object.keys(m.files).sort()).toEqual(['README.md', 'composer.json', 'composer.lock', 'patches/social-event.patch', 'with space/and\ttab.txt']);
  });

  test('a tree over the entry limit, or one that cannot be read, leaves the manifest as it was with a warning', async () => {
    const base = manifestOf('12.4.2');
    const over = logs();
    expect(await addTrackedTree(base, repo.path, commit, over.log, { ...limits, maxEntries: 8 })).toBe(base);
    expect(over.lines).toEqual([{ message: expect.stringMatching(/9 tracked files is more than the 8 recorded/), level: 'warn' }]);

    const bad = logs();
    expect(await addTrackedTree(base, repo.path, 'f'.repeat(40), bad.log)).toBe(base);
    expect(bad.lines).toEqual([{ message: expect.stringMatching(/^Could not record the file tree for Compare: .*ls-tree/), level: 'warn' }]);
  });
});

describe('tree helpers', () => {
  const entry = (path: string, size: number | null, type = 'blob'): TreeEntry => ({ path, mode: '100644', type, sha: 'a'.repeat(40), size });

  test('parseLsTree reads NUL-separated long records, and refuses anything else', () => {
    const sha = 'b'.repeat(40);
    const out = `100644 blob ${sha}     120\tdir/a b.txt\x00160000 commit ${sha}       -\tmodules/sub\0`;
    expect(parseLsTree(out)).toEqual([
      { path: 'dir/a b.txt', mode: '100644', type: 'blob', sha, size: 120 },
      { path: 'modules/sub', mode: '160000', type: 'commit', sha, size: null },
    ]);
    expect(() => parseLsTree('fatal: not a tree object\n')).toThrow(HostingError);
  });

  test('contentCandidates: project before third party, shallow before deep; no oversized, binary-named or manifest files', () => {
    const entries = [
      entry('vendor/x/README', 10),
      entry('web/core/CHANGELOG.txt', 10),
      entry('web/modules/custom/m/m.module', 10),
      entry('README.md', 10),
      entry('patches/a.patch', 10),
      entry('too-big.txt', 101),
      entry('logo.PNG', 10),
      entry('sub', null, 'commit'),
      entry('composer.lock', 10),
    ];
    expect(contentCandidates(entries, new Set(['composer.lock']), 100).map((e) => e.path)).toEqual([
      'README.md',
      'patches/a.patch',
      'web/modules/custom/m/m.module',
      'vendor/x/README',
      'web/core/CHANGELOG.txt',
    ]);
  });

  test('decodeText: UTF-8 text in, binary and other encodings out', () => {
    expect(decodeText(Buffer.from('héllo ✓\n'))).toBe('héllo ✓\n');
    expect(decodeText(PNG)).toBeNull();
    expect(decodeText(LATIN1)).toBeNull();
  });
});
