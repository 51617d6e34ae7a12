/**
 * Real git repositories replaying the Open Social builds in test/fixtures/open-social as successive commits on
 * `main`, each tagged (annotated, so ls-remote reports peeled `^{}` entries like a real upstream) with its version.
 */
import { copyFile, mkdir, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runGit } from '../../src/upstream/git-exec.js';

export const OPEN_SOCIAL_DIR = resolve('test/fixtures/open-social');

export interface GitFixtureRepo {
  /** Working repository on disk. */
  path: string;
  /** file:// URL usable with git ls-remote/clone. */
  url: string;
  /** version → commit sha of the replayed build. */
  commits: Record<string, string>;
}

const IDENTITY = ['-c', 'user.name=Open Social Fixture', '-c', 'user.email=fixture@example.test', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'];

/** All fixture versions, oldest first (directory names sort correctly for these). */
export const openSocialVersions = async (): Promise<string[]> =>
  (await readdir(OPEN_SOCIAL_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

/** A fresh temp directory under os.tmpdir(). */
export const makeTempDir = (prefix = 'distro-'): Promise<string> => mkdtemp(join(tmpdir(), prefix));

export const createOpenSocialRepo = async (dir: string, versions?: string[]): Promise<GitFixtureRepo> => {
  const path = join(dir, 'open-social-distro');
  await mkdir(path, { recursive: true });
  await runGit(['init', '-q', '-b', 'main', path]);
  const repo: GitFixtureRepo = { path, url: pathToFileURL(path).href, commits: {} };
  for (const version of versions ?? (await openSocialVersions())) await addVersion(repo, version);
  return repo;
};

/** Replays the next build as a new commit + annotated tag (a new upstream release). Returns its sha. */
export const addVersion = async (repo: GitFixtureRepo, version: string): Promise<string> => {
  const src = join(OPEN_SOCIAL_DIR, version);
  const commitLine = (await readFile(join(src, 'COMMIT'), 'utf8')).trim();
  const m = /^([0-9a-f]{40}) (\S+) (.*)$/.exec(commitLine);
  if (!m) throw new Error(`Unreadable COMMIT file for ${version}: ${commitLine}`);
  const [, upstreamSha, date, message] = m;
  await copyFile(join(src, 'composer.json'), join(repo.path, 'composer.json'));
  await copyFile(join(src, 'composer.lock'), join(repo.path, 'composer.lock'));
  const git = (args: string[]) => runGit([...IDENTITY, ...args], { cwd: repo.path });
  await git(['add', 'composer.json', 'composer.lock']);
  await git(['commit', '-q', '--allow-empty', `--date=${date}`, '-m', message!, '-m', `Upstream: ${upstreamSha}`]);
  await git(['tag', '-a', version, '-m', `Open Social ${version}`]);
  const sha = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  repo.commits[version] = sha;
  return sha;
};

/** Commits an arbitrary file change on `main` without a tag (a branch-only update). Returns its sha. */
export const addBranchCommit = async (repo: GitFixtureRepo, message: string): Promise<string> => {
  const git = (args: string[]) => runGit([...IDENTITY, ...args], { cwd: repo.path });
  await git(['commit', '-q', '--allow-empty', '-m', message]);
  return (await git(['rev-parse', 'HEAD'])).stdout.trim();
};
