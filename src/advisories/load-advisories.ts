/** Loads the security advisories file once per path, reloading only when the file changes on disk. */
import { readFile, stat } from 'node:fs/promises';
import { parseAdvisories, type AdvisoryIndex } from '../domain/compare/advisories.js';
import { NotFoundError } from '../domain/errors.js';

const cache = new Map<string, { mtimeMs: number; size: number; index: Promise<AdvisoryIndex> }>();

/**
 * Throws NotFoundError when the file does not exist and ValidationError when it is not an advisories map;
 * a failed load is not cached, so fixing the file is enough.
 */
export const loadAdvisories = async (path: string): Promise<AdvisoryIndex> => {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('advisories file', path);
    throw e;
  }
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit.index;
  const index = readFile(path, 'utf8').then(parseAdvisories);
  cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, index });
  index.catch(() => {
    if (cache.get(path)?.index === index) cache.delete(path);
  });
  return index;
};
