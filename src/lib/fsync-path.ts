/**
 * fsync for files and directories. A rename is only durable once the directories on both sides are synced, and
 * renaming a tree into place is only safe once its contents are: a power cut must not leave the new name
 * pointing at empty files.
 */
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Flushes one file's or directory's data and metadata to disk. */
export const fsyncPath = async (path: string): Promise<void> => {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** Flushes every file and directory under `root` (children before their directory); symlinks are skipped. */
export const fsyncTree = async (root: string): Promise<void> => {
  const st = await lstat(root);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isSymbolicLink()) await fsyncTree(join(root, entry.name));
    }
  }
  await fsyncPath(root);
};
