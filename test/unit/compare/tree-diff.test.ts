/** The Compare file list over recorded git trees: every tracked file by object SHA, patches where contents were kept. */
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { comparePlatforms, MAX_LISTED_FILES, MAX_TOTAL_DIFF_CHARS } from '../../../src/domain/compare/compare.js';
import type { Manifest } from '../../../src/domain/platform.js';

/** git's blob id, computed the way git does (independent of the code under test). */
const blobSha = (content: string | Buffer): string =>
  createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0`).update(content).digest('hex');

/** A built platform tracking `tracked`; string contents are kept unless listed in `notKept`, Buffers never are. */
const built = (name: string, tracked: Record<string, string | Buffer>, notKept: string[] = []) => {
  const manifest: Manifest = {
    format: 'none',
    packages: [],
    files: Object.fromEntries(Object.entries(tracked).filter((e): e is [string, string] => typeof e[1] === 'string' && !notKept.includes(e[0]))),
    tree: Object.fromEntries(Object.entries(tracked).map(([path, content]) => [path, blobSha(content)])),
  };
  return { id: `id-${name}`, name, manifest };
};

const diff = (a: ReturnType<typeof built>, b: ReturnType<typeof built>) => comparePlatforms(a, b, { fileDiffs: true });

const PNG_A = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 1]);
const PNG_B = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 2]);

describe('tree diff', () => {
  const before = built('a', {
    'README.md': '# Platform\nVersion 1\n',
    'patches/core-1234.patch': '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n',
    'docs/old-name.md': 'Moved later\n',
    'scripts/deploy.sh': '#!/bin/sh\necho deploy\n',
    'web/logo.png': PNG_A,
    'web/themes/unchanged.css': 'body { color: red; }\n',
  });
  const after = built('b', {
    'README.md': '# Platform\nVersion 2\n',
    'patches/core-1234.patch': '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n',
    'patches/new-fix.patch': '--- a/y\n+++ b/y\n',
    'docs/new-name.md': 'Moved later\n',
    'web/logo.png': PNG_B,
    'web/themes/unchanged.css': 'body { color: red; }\n',
    constructor: 'a file named like an Object.prototype member\n',
  });

  test('lists added, removed and modified files in path order; a rename is a removal plus an addition', () => {
    const r = diff(before, after);
    expect(r.files.map((f) => [f.path, f.change])).toEqual([
      ['README.md', 'modified'],
      ['constructor', 'added'],
      ['docs/new-name.md', 'added'],
      ['docs/old-name.md', 'removed'],
      ['patches/new-fix.patch', 'added'],
      ['scripts/deploy.sh', 'removed'],
      ['web/logo.png', 'modified'],
    ]);
    expect(r.fileSummary).toEqual({ scope: 'tree', added: 3, removed: 2, modified: 2, unlisted: 0 });
  });

  test('kept text files get unified patches, from /dev/null for additions', () => {
    const r = diff(before, after);
    const file = (path: string) => r.files.find((f) => f.path === path)!;
    expect(file('README.md').patch).toMatch(/^--- a\/README\.md\n\+\+\+ b\/README\.md/m);
    expect(file('README.md').patch).toContain('-Version 1\n+Version 2\n');
    expect(file('patches/new-fix.patch').patch).toMatch(/^--- \/dev\/null$/m);
    expect(file('scripts/deploy.sh').patch).toMatch(/^\+\+\+ \/dev\/null$/m);
    expect(file('scripts/deploy.sh').patch).toContain('-echo deploy');
    expect(file('constructor').patch).toContain('+a file named like an Object.prototype member');
  });

  test('a file whose content was not kept gets a note with both blob ids', () => {
    const r = diff(before, after);
    const logo = r.files.find((f) => f.path === 'web/logo.png')!;
    expect(logo.patch).toBe('');
    expect(logo.note).toBe(`Binary or large file: blob ${blobSha(PNG_A).slice(0, 7)} → ${blobSha(PNG_B).slice(0, 7)}.`);

    const added = diff(built('a', {}), built('b', { 'big.sql': PNG_A })).files[0]!;
    expect(added).toMatchObject({ change: 'added', note: `Binary or large file: new blob ${blobSha(PNG_A).slice(0, 7)}.` });
    const removed = diff(built('a', { 'big.sql': PNG_A }), built('b', {})).files[0]!;
    expect(removed).toMatchObject({ change: 'removed', note: `Binary or large file: blob ${blobSha(PNG_A).slice(0, 7)} removed.` });
  });

  test('content kept on one side only (the file grew past the size limit) is not half-diffed', () => {
    const r = diff(built('a', { 'notes.txt': 'small\n' }), built('b', { 'notes.txt': 'grew\n'.repeat(20) }, ['notes.txt']));
    expect(r.files).toEqual([{ path: 'notes.txt', change: 'modified', patch: '', note: expect.stringMatching(/^Binary or large file: blob [0-9a-f]{7} → [0-9a-f]{7}\.$/) }]);
  });

  test('composer.lock stays with the package table; identical trees list nothing', () => {
    const r = diff(built('a', { 'composer.lock': '{"packages":[]}' }), built('b', { 'composer.lock': '{"packages":[ ]}' }));
    expect(r.files).toEqual([{ path: 'composer.lock', change: 'modified', patch: '', note: 'Changes are listed in the package table.' }]);
    const same = diff(before, built('a2', { ...Object.fromEntries(Object.entries(before.manifest.files)), 'web/logo.png': PNG_A }));
    expect(same.files).toEqual([]);
    expect(same.fileSummary).toEqual({ scope: 'tree', added: 0, removed: 0, modified: 0, unlisted: 0 });
  });

  test('without a tree on either side only the manifest files are compared, by content', () => {
    const legacy = { id: 'old', name: 'old', manifest: { format: 'none' as const, packages: [], files: { 'composer.json': '{"require":{}}' } } };
    const r = diff(legacy, built('b', { 'composer.json': '{"require":{"x/y":"1"}}', 'README.md': 'not compared\n' }));
    expect(r.files.map((f) => f.path)).toEqual(['composer.json']);
    expect(r.fileSummary).toEqual({ scope: 'manifest', added: 0, removed: 0, modified: 1, unlisted: 0 });
    expect(comparePlatforms(legacy, legacy).fileSummary).toBeUndefined();
  });

  test('the listing and the total patch size are bounded; everything is still counted', () => {
    const n = MAX_LISTED_FILES + 7;
    const many = (v: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f/${String(i).padStart(5, '0')}.txt`, `${v}\n`]));
    const r = diff(built('a', many('1')), built('b', many('2')));
    expect(r.files).toHaveLength(MAX_LISTED_FILES);
    expect(r.files[0]!.path).toBe('f/00000.txt');
    expect(r.fileSummary).toEqual({ scope: 'tree', added: 0, removed: 0, modified: n, unlisted: 7 });

    // ~40 KB files changed every other line: the diffing bound is reached after a dozen or so.
    const text = (v: string) => Array.from({ length: 400 }, (_, i) => `line ${i} ${i % 2 ? v : 'same'} ${'pad '.repeat(22)}`).join('\n');
    const perFile = text('old').length + text('new').length;
    const count = Math.ceil(MAX_TOTAL_DIFF_CHARS / perFile) + 3;
    const big = (v: string) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`p/${String(i).padStart(3, '0')}.txt`, text(v)]));
    const bounded = diff(built('a', big('old')), built('b', big('new')));
    const patched = bounded.files.filter((f) => f.patch);
    const left = bounded.files.filter((f) => f.note?.startsWith('Patch left out to keep the page fast'));
    // Diffed in path order until the files diffed so far reach the bound, the rest get the note.
    expect(patched.map((f) => f.path)).toEqual(bounded.files.slice(0, Math.ceil(MAX_TOTAL_DIFF_CHARS / perFile)).map((f) => f.path));
    expect(left).toHaveLength(3);
    expect(patched.length + left.length).toBe(count);
  });
});
