/**
 * Reads a built platform's manifest: the distribution's `manifestPath` file (or directory) and the
 * manifest files next to it (composer.json + composer.lock, *.make), parsed by the compare engine.
 * From a git checkout they are read from git objects, so a tracked symbolic link (`x.info -> /proc/self/environ`)
 * is never followed; from a plain build directory, only regular files inside it are read.
 */
import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { isManifestFile, parseManifest } from '../domain/compare/manifest.js';
import type { LogFn } from '../domain/ports.js';
import type { Manifest } from '../domain/platform.js';
import { confinedPath, readConfinedFile } from './confined-fs.js';
import { isRegularFile, listTree, readBlobs } from './git-tree.js';

/** A manifest file bigger than this is not read (the largest composer.lock files are a few MB). */
export const MAX_MANIFEST_FILE_BYTES = 16 * 1024 * 1024;

/** Manifest files to read, relative to the checkout, from its tracked files. */
export const selectManifestFiles = (tracked: string[], manifestPath: string): string[] => {
  const wanted = manifestPath.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const dir = tracked.includes(wanted) ? posix.dirname(wanted) : wanted || '.';
  const inDir = (p: string) => posix.dirname(p) === dir;
  return tracked.filter((p) => p === wanted || (inDir(p) && isManifestFile(p))).sort();
};

/** The manifest of commit `rev` in the repository at `repoDir`, read from git objects (regular files only). */
export const readManifestFromGit = async (repoDir: string, rev: string, manifestPath: string, log: LogFn): Promise<Manifest> => {
  const entries = await listTree(repoDir, rev);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const wanted = selectManifestFiles(entries.map((e) => e.path), manifestPath).map((p) => byPath.get(p)!);
  const readable = wanted.filter((e) => {
    if (isRegularFile(e) && e.size !== null && e.size <= MAX_MANIFEST_FILE_BYTES) return true;
    log(`${e.path} is not read for the manifest: ${isRegularFile(e) ? 'too large' : `not a regular file (git mode ${e.mode})`}`, 'warn');
    return false;
  });
  const blobs = await readBlobs(repoDir, readable.map((e) => e.sha));
  return parseManifest(Object.fromEntries(readable.map((e) => [e.path, blobs.get(e.sha)!.toString('utf8')])));
};

/** The manifest of a build directory that is not a git checkout: regular files inside `root`, never through a link. */
export const readManifestFromDir = async (root: string, manifestPath: string, log: LogFn): Promise<Manifest> => {
  const dir = manifestPath.includes('/') ? manifestPath.slice(0, manifestPath.lastIndexOf('/')) : '';
  const listed = await readdir(await confinedPath(root, join(root, dir)), { withFileTypes: true });
  // Dirent types are the entries' own (lstat), so a symbolic link is never taken for a file.
  const present = listed.filter((e) => e.isFile()).map((e) => (dir ? `${dir}/${e.name}` : e.name));
  const files: Record<string, string> = {};
  for (const path of selectManifestFiles(present, manifestPath)) {
    try {
      files[path] = await readConfinedFile(root, join(root, path), MAX_MANIFEST_FILE_BYTES);
    } catch (e) {
      log(`${path} is not read for the manifest: ${(e as Error).message}`, 'warn');
    }
  }
  return parseManifest(files);
};
