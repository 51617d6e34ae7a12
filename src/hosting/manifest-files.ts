/**
 * Reads a built platform's manifest: the distribution's `manifestPath` file (or directory) and the
 * manifest files next to it (composer.json + composer.lock, *.make), parsed by the compare engine.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { isManifestFile, parseManifest } from '../domain/compare/manifest.js';
import type { Manifest } from '../domain/platform.js';

/** Manifest files to read, relative to the checkout, from its tracked files. */
export const selectManifestFiles = (tracked: string[], manifestPath: string): string[] => {
  const wanted = manifestPath.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const dir = tracked.includes(wanted) ? posix.dirname(wanted) : wanted || '.';
  const inDir = (p: string) => posix.dirname(p) === dir;
  return tracked.filter((p) => p === wanted || (inDir(p) && isManifestFile(p))).sort();
};

export const readManifest = async (checkoutDir: string, tracked: string[], manifestPath: string): Promise<Manifest> => {
  const files: Record<string, string> = {};
  for (const path of selectManifestFiles(tracked, manifestPath)) files[path] = await readFile(join(checkoutDir, path), 'utf8');
  return parseManifest(files);
};
