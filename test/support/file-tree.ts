/** A directory tree as comparable data: every path with its type, mode and content hash (for "byte-identical" checks). */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type FileTree = Record<string, string>;

export const readTree = async (dir: string): Promise<FileTree> => {
  const tree: FileTree = {};
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const abs = join(dir, path);
      const st = await lstat(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) tree[path] = `link ${await readlink(abs)}`;
      else if (st.isDirectory()) {
        tree[path] = `dir ${mode}`;
        await walk(path);
      } else tree[path] = `file ${mode} ${createHash('sha256').update(await readFile(abs)).digest('hex')}`;
    }
  };
  await walk('');
  return tree;
};
