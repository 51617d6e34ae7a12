/**
 * File access under a root that untrusted content (an upstream's checkout, a build directory) can shape: a path is
 * used only once its real location (symbolic links resolved) is inside the root's, and files are read without
 * following a final symbolic link, only when they are regular files with a single link (a hard link could
 * otherwise expose a file from elsewhere on the same file system).
 */
import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { HostingError } from '../domain/errors.js';

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException | null)?.code === code;

const inside = (root: string, path: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** The real path of `path`, or of its deepest existing ancestor joined with the rest when it does not exist yet. */
const realLocation = async (path: string): Promise<string> => {
  const rest: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    try {
      return resolve(await realpath(at), ...rest.reverse());
    } catch (e) {
      if (!isErrno(e, 'ENOENT') || dirname(at) === at) throw e;
      rest.push(relative(dirname(at), at));
    }
  }
};

/**
 * Returns `path` when it lies inside `root` both as written and once symbolic links are resolved; throws a
 * HostingError naming it otherwise. Call right before writing, renaming or removing under a root.
 */
export const confinedPath = async (root: string, path: string): Promise<string> => {
  const absolute = resolve(path);
  const rootAbsolute = resolve(root);
  if (!inside(rootAbsolute, absolute)) throw new HostingError(`${absolute} is outside ${rootAbsolute}; refusing to use it.`);
  const [realRoot, real] = await Promise.all([realLocation(rootAbsolute), realLocation(absolute)]);
  if (!inside(realRoot, real)) {
    throw new HostingError(`${absolute} leads outside ${rootAbsolute} (to ${real}) through a symbolic link; refusing to use it.`);
  }
  return absolute;
};

/** Whether `path` itself (not what it points to) is a symbolic link. */
export const isSymlink = async (path: string): Promise<boolean> =>
  lstat(path).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );

/**
 * Reads a regular file under `root` as UTF-8: not through a symbolic link (the file's or a directory's), not a
 * device, FIFO or socket, not a file with other hard links, and not more than `maxBytes`.
 */
export const readConfinedFile = async (root: string, path: string, maxBytes: number): Promise<string> => {
  const absolute = await confinedPath(root, path);
  // O_NONBLOCK: opening a FIFO planted in the tree must not wait for a writer.
  const handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((e: unknown) => {
    if (isErrno(e, 'ELOOP')) throw new HostingError(`${absolute} is a symbolic link; it is not followed.`);
    throw e;
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new HostingError(`${absolute} is not a regular file; it is not read.`);
    if (stat.nlink > 1) throw new HostingError(`${absolute} has ${stat.nlink} hard links; it is not read.`);
    if (stat.size > maxBytes) throw new HostingError(`${absolute} is larger than ${maxBytes} bytes; it is not read.`);
    const buffer = Buffer.alloc(stat.size);
    const { bytesRead } = await handle.read(buffer, 0, stat.size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
};
