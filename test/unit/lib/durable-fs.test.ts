/** src/lib file-system helpers: tree digests, fsync of trees, durable renames. */
import { describe, expect, test } from '@jest/globals';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '../../../src/hosting/paths.js';
import { durableRename } from '../../../src/lib/durable-rename.js';
import { fsyncTree } from '../../../src/lib/fsync-path.js';
import { treeDigest } from '../../../src/lib/tree-digest.js';
import { makeTempDir } from '../../support/git-fixtures.js';

const tree = async (root: string) => {
  await mkdir(join(root, 'files', 'empty'), { recursive: true });
  await writeFile(join(root, 'settings.php'), '<?php');
  await writeFile(join(root, 'files', 'a.txt'), 'a');
  await symlink('settings.php', join(root, 'link'));
};

describe('treeDigest', () => {
  test('equal for byte-identical trees; differs on content, mode, names, links, empty dirs; ignores listed top-level names', async () => {
    const dir = await makeTempDir('distro-digest-');
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await tree(a);
    await tree(b);
    const base = await treeDigest(a);
    expect(await treeDigest(b)).toBe(base);
    await writeFile(join(b, '.maintenance'), 'on');
    expect(await treeDigest(b)).not.toBe(base);
    expect(await treeDigest(b, ['.maintenance'])).toBe(base);
    // One change at a time, each on a fresh copy.
    let n = 0;
    for (const change of [
      (r: string) => writeFile(join(r, 'files', 'a.txt'), 'b'),
      (r: string) => chmod(join(r, 'files', 'a.txt'), 0o600),
      (r: string) => mkdir(join(r, 'files', 'empty', 'x')),
      (r: string) => writeFile(join(r, 'files', 'new.txt'), ''),
    ]) {
      const copy = join(dir, `copy${n++}`);
      await tree(copy);
      expect(await treeDigest(copy)).toBe(base);
      await change(copy);
      expect(await treeDigest(copy)).not.toBe(base);
    }
  });
});

describe('fsyncTree and durableRename', () => {
  test('sync a tree and rename it into another directory, leaving nothing under the old name', async () => {
    const dir = await makeTempDir('distro-durable-');
    const src = join(dir, 'stage', 'site');
    await mkdir(join(dir, 'stage'));
    await mkdir(join(dir, 'live'));
    await tree(src);
    const digest = await treeDigest(src);
    await fsyncTree(src);
    await durableRename(src, join(dir, 'live', 'site'));
    expect(await pathExists(src)).toBe(false);
    expect(await treeDigest(join(dir, 'live', 'site'))).toBe(digest);
    expect(await readFile(join(dir, 'live', 'site', 'files', 'a.txt'), 'utf8')).toBe('a');
  });
});
