/**
 * Real git repositories replaying the Open Social builds in test/fixtures/open-social as successive commits on
 * `main`, each tagged (annotated, so ls-remote reports peeled `^{}` entries like a real upstream) with its version.
 */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_POLICY, type Distribution, type UpstreamSource } from '../../src/domain/distribution.js';
import { runGit } from '../../src/upstream/git-exec.js';
import { OPEN_SOCIAL_VERSIONS, openSocialBuild } from './fixtures.js';

export interface GitFixtureRepo {
  /** Working repository on disk. */
  path: string;
  /** file:// URL usable with git ls-remote/clone. */
  url: string;
  /** version → commit sha of the replayed build. */
  commits: Record<string, string>;
}

const IDENTITY = ['-c', 'user.name=Open Social Fixture', '-c', 'user.email=fixture@example.test', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'];

const git = (repo: GitFixtureRepo, args: string[]) => runGit([...IDENTITY, ...args], { cwd: repo.path });

/** A fresh temp directory under os.tmpdir(). */
export const makeTempDir = (prefix = 'distro-'): Promise<string> => mkdtemp(join(tmpdir(), prefix));

/** Replays `versions` (default: every fixture version) into a new repository under `dir`. */
export const createOpenSocialRepo = async (dir: string, versions: readonly string[] = OPEN_SOCIAL_VERSIONS): Promise<GitFixtureRepo> => {
  const path = join(dir, 'open-social-distro');
  await mkdir(path, { recursive: true });
  await runGit(['init', '-q', '-b', 'main', path]);
  const repo: GitFixtureRepo = { path, url: pathToFileURL(path).href, commits: {} };
  for (const version of versions) await addVersion(repo, version);
  return repo;
};

/** Tracked files besides the composer manifest that a release commit also changes (README, patches/, assets…). */
export interface OtherFileChanges {
  /** path → content, written (directories made) and added. */
  write?: Record<string, string | Buffer>;
  /** Paths removed with `git rm`. */
  remove?: string[];
  /** path → target: symbolic links committed as such (an upstream may track links to anywhere). */
  links?: Record<string, string>;
}

/** Replays the next build as a new commit + annotated tag (a new upstream release). Returns its sha. */
export const addVersion = async (repo: GitFixtureRepo, version: string, other: OtherFileChanges = {}): Promise<string> => {
  const build = openSocialBuild(version);
  const written = { ...other.write, ...build.files };
  // Removed first, so a release can replace a directory by a link or a link by a directory.
  if (other.remove?.length) await git(repo, ['rm', '-q', '-r', '--', ...other.remove]);
  for (const [name, content] of Object.entries(written)) {
    await mkdir(dirname(join(repo.path, name)), { recursive: true });
    await writeFile(join(repo.path, name), content);
  }
  for (const [name, target] of Object.entries(other.links ?? {})) {
    await mkdir(dirname(join(repo.path, name)), { recursive: true });
    await symlink(target, join(repo.path, name));
  }
  await git(repo, ['add', '--', ...Object.keys(written), ...Object.keys(other.links ?? {})]);
  await git(repo, ['commit', '-q', '--allow-empty', `--date=${build.date}`, '-m', build.message, '-m', `Upstream: ${build.commit}`]);
  await git(repo, ['tag', '-a', version, '-m', `Open Social ${version}`]);
  const sha = (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
  repo.commits[version] = sha;
  return sha;
};

/** Commits on `main` without a tag (a branch-only update). Returns its sha. */
export const addBranchCommit = async (repo: GitFixtureRepo, message: string): Promise<string> => {
  await git(repo, ['commit', '-q', '--allow-empty', '-m', message]);
  return (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
};

/** A distribution record tracking `upstream`, for calling checkers directly. */
export const upstreamDistribution = (upstream: UpstreamSource, pollState: Record<string, string> = {}): Distribution => ({
  id: 'd1',
  slug: 'social',
  title: 'Social',
  description: '',
  channel: null,
  upstream,
  policy: DEFAULT_POLICY,
  targetPlatformId: null,
  pollState,
  lastPoll: null,
  createdAt: new Date(),
  updatedAt: new Date(),
});
