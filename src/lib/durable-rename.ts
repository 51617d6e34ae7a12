/**
 * rename(2) that survives a power cut as well as a kill: the caller syncs what it renames (fsyncPath/fsyncTree),
 * this syncs the directories whose entries changed, so after it returns the new name is on disk and the old is gone.
 */
import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncPath } from './fsync-path.js';

export const durableRename = async (from: string, to: string): Promise<void> => {
  await rename(from, to);
  await fsyncPath(dirname(to));
  if (dirname(from) !== dirname(to)) await fsyncPath(dirname(from));
};
