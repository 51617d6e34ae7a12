/**
 * A content hash of a directory tree: every path with its type, permission bits and content (or link target),
 * in sorted order. Equal digests mean byte-identical trees; timestamps and owners do not count.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

const hashFile = (path: string, into: Hash): Promise<void> =>
  new Promise((resolve, reject) => {
    const stream = createReadStream(path);
    stream.on('data', (chunk) => into.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });

/** `ignore`: names skipped at the top level only (bookkeeping files such as a maintenance flag). */
export const treeDigest = async (root: string, ignore: readonly string[] = []): Promise<string> => {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      if (!rel && ignore.includes(name)) continue;
      const path = rel ? `${rel}/${name}` : name;
      const abs = join(root, path);
      const st = await lstat(abs);
      const mode = (st.mode & 0o7777).toString(8);
      // NUL cannot occur in a file name, so the records cannot run into each other.
      if (st.isSymbolicLink()) hash.update(`L\0${path}\0${await readlink(abs)}\0`);
      else if (st.isDirectory()) {
        hash.update(`D\0${path}\0${mode}\0`);
        await walk(path);
      } else {
        hash.update(`F\0${path}\0${mode}\0${st.size}\0`);
        await hashFile(abs, hash);
      }
    }
  };
  await walk('');
  return hash.digest('hex');
};
