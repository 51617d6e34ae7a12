/**
 * Records a built platform's tracked-file tree (path → git object SHA) and the contents of its small text files,
 * so Compare can list every changed file cheaply and show patches for the ones a site operator reads (README,
 * patches/, settings, scripts) without keeping whole code bases in the store.
 */
import { HostingError } from '../domain/errors.js';
import type { LogFn } from '../domain/ports.js';
import type { Manifest } from '../domain/platform.js';
import { describeExceeded, spawnBounded } from '../lib/spawn-bounded.js';

export interface TreeEntry {
  path: string;
  /** git file mode: 100644, 100755, 120000 (symlink), 160000 (submodule). */
  mode: string;
  /** `blob` for files and symlinks, `commit` for submodules. */
  type: string;
  sha: string;
  /** Bytes of a blob; null for submodules. */
  size: number | null;
}

export interface TreeLimits {
  /** Text files up to this size have their content kept. */
  maxFileBytes: number;
  /** Content kept per platform besides the manifest files (which are always kept). */
  maxTotalBytes: number;
  /** A bigger tree is not recorded (it would not fit a store document); Compare then covers the manifest files only. */
  maxEntries: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { maxFileBytes: 64 * 1024, maxTotalBytes: 2 * 1024 * 1024, maxEntries: 50_000 };

/**
 * Local reads of a checkout: generous bounds (a hostile repository's tree is read, so they are not infinite), the
 * process group killed past them. Legitimate trees stay far below (see DEFAULT_TREE_LIMITS).
 */
const LOCAL_READ_BOUNDS = { timeoutMs: 30 * 60_000, maxOutputBytes: 512 * 1024 * 1024 };

/** Runs git and returns raw stdout (contents may be binary); a failure becomes a HostingError with git's words. */
const gitBytes = async (cwd: string, args: string[], input?: string): Promise<Buffer> => {
  const out: Buffer[] = [];
  let err = '';
  const exit = await spawnBounded('git', ['-C', cwd, ...args], {
    ...LOCAL_READ_BOUNDS,
    input: input ?? '',
    onStdout: (c) => out.push(c),
    onStderr: (c) => (err = (err + c.toString('utf8')).slice(-2000)),
  }).catch((e: Error) => {
    throw new HostingError(`Cannot run git: ${e.message}`, { cause: e });
  });
  if (exit.exceeded) throw new HostingError(`\`git ${args.join(' ')}\` ${describeExceeded(exit.exceeded, LOCAL_READ_BOUNDS)}.`);
  if (exit.code !== 0) throw new HostingError(`\`git ${args.join(' ')}\` exited with ${exit.code}: ${err.trim()}`);
  return Buffer.concat(out);
};

/** A regular file (not a symbolic link, submodule or anything else git may record). */
export const isRegularFile = (e: TreeEntry): boolean => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755');

const SYMLINK_MODE = '120000';
/** A symbolic link's blob is its target; longer ones are not read (no system accepts them as a path anyway). */
const MAX_LINK_TARGET = 4096;

/** Parses `git ls-tree -r -l -z` output: `<mode> <type> <sha> <size>\t<path>\0`. */
export const parseLsTree = (output: string): TreeEntry[] =>
  output
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const tab = record.indexOf('\t');
      const [mode = '', type = '', sha = '', size = '-'] = record.slice(0, tab).trim().split(/\s+/);
      if (tab < 0 || !/^[0-9a-f]{40,64}$/.test(sha)) throw new HostingError(`Unexpected \`git ls-tree\` output: ${record.slice(0, 200)}`);
      return { path: record.slice(tab + 1), mode, type, sha, size: size === '-' ? null : Number(size) };
    });

/** Directories of third-party code: their files are kept only after the project's own. */
const THIRD_PARTY_DIRS = new Set(['vendor', 'node_modules', 'bower_components', 'core', 'contrib', 'libraries']);
/** Extensions that are binary anyway: not worth reading to find out. */
const BINARY_EXTENSIONS =
  /\.(png|jpe?g|gif|ico|webp|bmp|tiff?|psd|woff2?|ttf|otf|eot|pdf|zip|gz|tgz|bz2|xz|7z|rar|jar|phar|mo|mp[34]|webm|ogg|wav|avi|mov|swf|exe|dll|so|dylib|class|pyc|sqlite|db)$/i;

/**
 * Files whose contents are worth keeping, best first: the project's own files before third-party directories,
 * shallow before deep (top-level README, patches/, scripts/ before module internals), then by path.
 * `skip` lists paths kept anyway (the manifest files).
 */
export const contentCandidates = (entries: TreeEntry[], skip: ReadonlySet<string>, maxFileBytes: number): TreeEntry[] => {
  const rank = (path: string): [number, number] => {
    const parts = path.split('/');
    return [parts.slice(0, -1).some((p) => THIRD_PARTY_DIRS.has(p.toLowerCase())) ? 1 : 0, parts.length];
  };
  return entries
    .filter((e) => isRegularFile(e) && e.size !== null && e.size <= maxFileBytes && !skip.has(e.path) && !BINARY_EXTENSIONS.test(e.path))
    .map((e) => ({ e, r: rank(e.path) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || (a.e.path < b.e.path ? -1 : a.e.path > b.e.path ? 1 : 0))
    .map(({ e }) => e);
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a blob, or null when it is binary (a NUL byte, or not UTF-8). */
export const decodeText = (bytes: Uint8Array): string | null => {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
};

/** Reads blobs by SHA in one `git cat-file --batch` call. */
export const readBlobs = async (repoDir: string, shas: string[]): Promise<Map<string, Buffer>> => {
  const unique = [...new Set(shas)];
  const blobs = new Map<string, Buffer>();
  if (!unique.length) return blobs;
  const out = await gitBytes(repoDir, ['cat-file', '--batch'], unique.join('\n') + '\n');
  let at = 0;
  for (const sha of unique) {
    const eol = out.indexOf(0x0a, at);
    const header = out.subarray(at, eol).toString('utf8').split(' ');
    if (eol < 0 || header[0] !== sha || header[1] === 'missing') throw new HostingError(`git object ${sha} is missing from ${repoDir}.`);
    const size = Number(header[2]);
    blobs.set(sha, out.subarray(eol + 1, eol + 1 + size));
    at = eol + 1 + size + 1;
  }
  return blobs;
};

/** Bounds the reading when many candidates turn out binary: at most this many `cat-file` calls. */
const MAX_READ_ROUNDS = 8;

/**
 * Walks `candidates` in order keeping each text file that still fits the budget. Read in batches of about the
 * remaining budget, so a binary file without a telling extension costs a read but no budget.
 */
const keepTextWithin = async (repoDir: string, candidates: TreeEntry[], limits: TreeLimits): Promise<{ files: Record<string, string>; bytes: number }> => {
  const files: Record<string, string> = {};
  let remaining = limits.maxTotalBytes;
  let next = 0;
  for (let round = 0; round < MAX_READ_ROUNDS && next < candidates.length && remaining > 0; round++) {
    const batch: TreeEntry[] = [];
    for (let batchBytes = 0; next < candidates.length && batchBytes < remaining; next++) {
      const e = candidates[next]!;
      if (e.size! > remaining) continue;
      batch.push(e);
      batchBytes += e.size!;
    }
    const blobs = await readBlobs(repoDir, batch.map((e) => e.sha));
    for (const e of batch) {
      if (e.size! > remaining) continue;
      const text = decodeText(blobs.get(e.sha)!);
      if (text === null) continue;
      files[e.path] = text;
      remaining -= e.size!;
    }
  }
  return { files, bytes: limits.maxTotalBytes - remaining };
};

const REV_PATTERN = /^([0-9a-f]{7,64}|HEAD)$/i;

/** All tracked files of `rev` (a commit hash or HEAD) in the repository at `repoDir`. */
export const listTree = async (repoDir: string, rev: string): Promise<TreeEntry[]> => {
  if (!REV_PATTERN.test(rev)) throw new HostingError(`\`${rev.slice(0, 80)}\` is not a commit hash.`);
  return parseLsTree((await gitBytes(repoDir, ['-c', 'core.quotepath=off', 'ls-tree', '-r', '-l', '-z', rev])).toString('utf8'));
};

/** Symbolic links of the tree as path → target, read from their blobs (recorded, never followed). */
const readLinks = async (repoDir: string, entries: TreeEntry[]): Promise<Record<string, string>> => {
  const links = entries.filter((e) => e.mode === SYMLINK_MODE);
  // A "link" blob can be any size: only plausible targets are read.
  const readable = links.filter((e) => e.size !== null && e.size <= MAX_LINK_TARGET);
  const blobs = await readBlobs(repoDir, readable.map((e) => e.sha));
  return Object.fromEntries(links.map((e) => [e.path, blobs.get(e.sha)?.toString('utf8') ?? `(target longer than ${MAX_LINK_TARGET} bytes)`]));
};

/**
 * Adds the tracked-file tree of `rev` and the small text files picked by `contentCandidates` to a manifest read
 * from the same checkout. The tree only improves Compare, so trouble reading it is a warning and the manifest is
 * returned as it was rather than failing the build.
 */
export const addTrackedTree = async (
  manifest: Manifest,
  repoDir: string,
  rev: string,
  log: LogFn,
  limits: TreeLimits = DEFAULT_TREE_LIMITS,
): Promise<Manifest> => {
  try {
    const entries = await listTree(repoDir, rev);
    if (entries.length > limits.maxEntries) {
      log(`${entries.length} tracked files is more than the ${limits.maxEntries} recorded for Compare; only manifest files will be compared`, 'warn');
      return manifest;
    }
    const { files, bytes } = await keepTextWithin(repoDir, contentCandidates(entries, new Set(Object.keys(manifest.files)), limits.maxFileBytes), limits);
    const links = await readLinks(repoDir, entries);
    const linkCount = Object.keys(links).length;
    log(
      `File tree: ${entries.length} tracked files, ${Object.keys(files).length} small text files kept for Compare (${Math.ceil(bytes / 1024)} KB)` +
        (linkCount ? `, ${linkCount} symbolic links recorded (not followed)` : ''),
    );
    return {
      ...manifest,
      files: { ...files, ...manifest.files },
      tree: Object.fromEntries(entries.map((e) => [e.path, e.sha])),
      ...(linkCount ? { links } : {}),
    };
  } catch (e) {
    log(`Could not record the file tree for Compare: ${(e as Error).message}`, 'warn');
    return manifest;
  }
};
