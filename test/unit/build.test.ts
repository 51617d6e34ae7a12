/**
 * scripts/build.mjs, the build `npm start` runs before every start: it compiles only when an input changed,
 * judged by content (not mtime), and its output runs.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, inputStamp, isUpToDate } from '../../scripts/build.mjs';
import { makeTempDir } from '../support/git-fixtures.js';

describe('inputStamp / isUpToDate', () => {
  const inputs = [
    { path: 'src/a.ts', content: 'export const a = 1;' },
    { path: 'src/b.ts', content: 'export const b = 2;' },
  ];

  test('depends on contents and paths, not on the order files were listed in', () => {
    const stamp = inputStamp(inputs);
    expect(inputStamp([...inputs].reverse())).toBe(stamp);
    expect(inputStamp([inputs[0]!, { path: 'src/b.ts', content: 'export const b = 3;' }])).not.toBe(stamp);
    expect(inputStamp([inputs[0]!, { path: 'src/c.ts', content: 'export const b = 2;' }])).not.toBe(stamp);
    expect(inputStamp([inputs[0]!])).not.toBe(stamp);
    // the bytes cannot be split differently between files to give the same stamp
    expect(inputStamp([{ path: 'a', content: 'x\0b\0y' }])).not.toBe(inputStamp([{ path: 'a', content: 'x' }, { path: 'b', content: 'y' }]));
  });

  test('up to date only with the same stamp and every output present', () => {
    const previous = { stamp: 's1', builtAt: '', outputs: [] };
    expect(isUpToDate('s1', previous, true)).toBe(true);
    expect(isUpToDate('s2', previous, true)).toBe(false);
    expect(isUpToDate('s1', previous, false)).toBe(false);
    expect(isUpToDate('s1', null, true)).toBe(false);
  });
});

describe('build', () => {
  let root: string;
  let out: string;
  const mainJs = () => join(out, 'src/main.js');
  const mtime = async (p: string) => (await stat(p)).mtimeMs;

  beforeEach(async () => {
    root = await makeTempDir('distro-build-');
    out = join(root, 'dist');
    await mkdir(join(root, 'src/lib'), { recursive: true });
    await writeFile(join(root, 'package.json'), '{"type":"module"}');
    await writeFile(join(root, 'tsconfig.json'), '{}');
    await writeFile(join(root, 'package-lock.json'), '{}');
    await writeFile(join(root, 'src/lib/greet.ts'), "export const greet = (name: string): string => `hello ${name}`;\n");
    await writeFile(
      join(root, 'src/main.ts'),
      [
        "import { greet } from './lib/greet.js';",
        "import type { Server } from 'node:http';",
        'export class Box { constructor(readonly value: number) {} size = 1; }',
        'export const server: Server | null = null;',
        "export const message: string = greet('distro');",
      ].join('\n'),
    );
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  test('compiles on the first run, into modules that run', async () => {
    expect(await build({ root, outDir: out })).toEqual({ built: true, files: 2 });
    const main = (await import(pathToFileURL(mainJs()).href)) as { message: string; Box: new (v: number) => { value: number; size: number } };
    expect(main.message).toBe('hello distro');
    expect(new main.Box(7)).toEqual({ value: 7, size: 1 });
    expect(await readFile(mainJs(), 'utf8')).toMatch(/\/\/# sourceMappingURL=main\.js\.map\n$/);
    expect(JSON.parse(await readFile(`${mainJs()}.map`, 'utf8'))).toMatchObject({ sources: ['../../src/main.ts'] });
  });

  test('does nothing when no input changed, and leaves the outputs untouched', async () => {
    await build({ root, outDir: out });
    const before = await mtime(mainJs());
    expect(await build({ root, outDir: out })).toEqual({ built: false, files: 0 });
    expect(await mtime(mainJs())).toBe(before);
  });

  test('rebuilds when a source changes even if its mtime is older than the last build', async () => {
    await build({ root, outDir: out });
    const file = join(root, 'src/lib/greet.ts');
    await writeFile(file, 'export const greet = (name: string): string => `hi ${name}`;\n');
    await utimes(file, new Date(2001, 0, 1), new Date(2001, 0, 1)); // as a checkout or an archive can leave it
    expect((await build({ root, outDir: out })).built).toBe(true);
    expect(await readFile(join(out, 'src/lib/greet.js'), 'utf8')).toContain('hi ${name}');
  });

  test('rebuilds when tsconfig.json or package-lock.json changes', async () => {
    await build({ root, outDir: out });
    await writeFile(join(root, 'tsconfig.json'), '{"compilerOptions":{}}');
    expect((await build({ root, outDir: out })).built).toBe(true);
    await writeFile(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
    expect((await build({ root, outDir: out })).built).toBe(true);
    expect((await build({ root, outDir: out })).built).toBe(false);
  });

  test('a deleted source loses its output; a deleted output is built again', async () => {
    await build({ root, outDir: out });
    await writeFile(join(root, 'src/extra.ts'), 'export const extra = 1;\n');
    await build({ root, outDir: out });
    expect(existsSync(join(out, 'src/extra.js'))).toBe(true);
    await unlink(join(root, 'src/extra.ts'));
    expect((await build({ root, outDir: out })).built).toBe(true);
    expect(existsSync(join(out, 'src/extra.js'))).toBe(false);

    await unlink(mainJs());
    expect((await build({ root, outDir: out })).built).toBe(true);
    expect(existsSync(mainJs())).toBe(true);
  });

  test('force compiles even when up to date; two builds at once both succeed and compile once', async () => {
    await build({ root, outDir: out });
    expect((await build({ root, outDir: out, force: true })).built).toBe(true);
    await writeFile(join(root, 'src/lib/greet.ts'), 'export const greet = (name: string): string => `hey ${name}`;\n');
    const results = await Promise.all([build({ root, outDir: out }), build({ root, outDir: out })]);
    expect(results.map((r) => r.built).sort()).toEqual([false, true]);
    expect(await readFile(join(out, 'src/lib/greet.js'), 'utf8')).toContain('hey ${name}');
  });
});
