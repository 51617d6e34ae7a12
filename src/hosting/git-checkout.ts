/**
 * Platform checkouts through a shared bare mirror per upstream URL: each upstream is fetched once
 * and every platform is a cheap local clone (hard-linked objects) checked out at its commit.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { UpstreamSource } from '../domain/distribution.js';
import { HostingError, ValidationError } from '../domain/errors.js';
import type { LogFn } from '../domain/ports.js';
import { redactUrl } from '../lib/redact.js';
import { KeyedSemaphore } from '../lib/keyed-semaphore.js';
import { upstreamGitBounds } from '../upstream/git-exec.js';
import { LOCAL_GIT_ENV, UpstreamGuard } from '../upstream/upstream-guard.js';
import { pathExists } from './paths.js';
import { runProcess } from './run-command.js';

/** Network trouble worth a retry; anything else (unknown commit, bad URL) fails the build. */
const GIT_TRANSIENT =
  /could not resolve host|connection (refused|reset|timed out)|timed out|early EOF|returned error: 5\d\d|remote end hung up|temporary failure/i;

/** The URL to clone a distribution's upstream from; `githubBaseUrl` lets tests and GitHub Enterprise point elsewhere. */
export const upstreamCloneUrl = (upstream: UpstreamSource, githubBaseUrl = 'https://github.com'): string =>
  upstream.kind === 'git' ? upstream.url : `${githubBaseUrl.replace(/\/$/, '')}/${upstream.owner}/${upstream.repo}.git`;

/**
 * Where a clone URL comes from: an operator's setting (the GitHub base URL plus a checked owner/repo), or a
 * distribution's git upstream, which is checked (URL, host address) and limited to the allowed transports.
 */
export type UrlSource = 'operator' | 'untrusted';

/** GitHub upstreams are cloned from the operator's GitHub (Enterprise) base URL; git upstreams are untrusted. */
export const upstreamUrlSource = (upstream: UpstreamSource): UrlSource => (upstream.kind === 'github' ? 'operator' : 'untrusted');

const COMMIT_PATTERN = /^[0-9a-f]{7,64}$/i;

/** git's progress meters (asked for with --progress so a live transfer is told from a silent one): not logged. */
const GIT_PROGRESS = /^(remote: )?(Enumerating|Counting|Compressing|Receiving|Resolving|Unpacking|Total|Checking connectivity|Updating files|Cloning into)\b/;

export class GitCheckouts {
  /** One writer per mirror: concurrent fetches into one bare repo fight over its lock files. */
  private readonly mirrorLocks = new KeyedSemaphore(1);

  private readonly bounds: ReturnType<typeof upstreamGitBounds>;

  constructor(
    private readonly cacheDir: string,
    /** Checks upstream URLs before git talks to them (config ALLOW_LOCAL_UPSTREAMS); remote ones only by default. */
    private readonly guard: UpstreamGuard = new UpstreamGuard({ allowLocal: false }),
    /** GIT_TIMEOUT_SECONDS in ms (see upstreamGitBounds). */
    timeoutMs?: number,
  ) {
    this.bounds = upstreamGitBounds(timeoutMs);
  }

  /**
   * git on local repositories only (the mirror, a checkout): no transport but `file` is allowed. A checkout may
   * rightly stay silent for long, so only the overall time and the output are bounded.
   */
  private git(args: string[], log: LogFn) {
    const { timeoutMs, maxOutputBytes } = this.bounds;
    return runProcess('git', args, { log, transientPattern: GIT_TRANSIENT, env: { ...LOCAL_GIT_ENV }, bounds: { timeoutMs, maxOutputBytes } });
  }

  /** git talking to an upstream: only the allowed transports (git's own defaults for an operator's URL), bounded in time. */
  private remoteGit(args: string[], log: LogFn, source: UrlSource, url: string) {
    const env = source === 'operator' ? { GIT_TERMINAL_PROMPT: '0' } : this.guard.gitEnv();
    return runProcess('git', args, {
      log,
      transientPattern: GIT_TRANSIENT,
      env,
      bounds: this.bounds,
      subject: `The upstream ${redactUrl(url)}`,
      unlogged: GIT_PROGRESS,
    });
  }

  private async hasCommit(repo: string, commit: string): Promise<boolean> {
    return this.git(['-C', repo, 'cat-file', '-e', `${commit}^{commit}`], () => {}).then(
      () => true,
      () => false,
    );
  }

  /** Makes sure the mirror of `url` has `commit`, fetching only when it does not. Returns the mirror path. */
  async mirror(url: string, commit: string, log: LogFn, source: UrlSource = 'untrusted'): Promise<string> {
    const dir = join(this.cacheDir, createHash('sha256').update(url).digest('hex').slice(0, 16) + '.git');
    const shown = redactUrl(url);
    return this.mirrorLocks.run([dir], async () => {
      if (!(await pathExists(join(dir, 'HEAD')))) {
        if (source === 'untrusted') await this.guard.check(url);
        await mkdir(this.cacheDir, { recursive: true });
        await rm(dir, { recursive: true, force: true });
        log(`Mirroring ${shown}`);
        await this.remoteGit(['clone', '--mirror', '--progress', '--', url, dir], log, source, url);
      } else if (!(await this.hasCommit(dir, commit))) {
        if (source === 'untrusted') await this.guard.check(url);
        log(`Fetching ${shown} into the mirror cache`);
        await this.remoteGit(['-C', dir, 'fetch', '--prune', '--progress', 'origin'], log, source, url);
      } else {
        log(`Mirror cache already has ${commit.slice(0, 12)}`);
      }
      if (!(await this.hasCommit(dir, commit))) throw new HostingError(`Commit ${commit} is not in ${shown}.`);
      return dir;
    });
  }

  /**
   * Checks `commit` out into `dir` (cloning from the mirror, or fetching into an existing checkout).
   * Untracked paths listed in `keep` (the sites directory) are excluded from git and survive re-checkouts.
   */
  async checkout(url: string, commit: string, dir: string, log: LogFn, keep: string[] = [], source: UrlSource = 'untrusted'): Promise<void> {
    if (!COMMIT_PATTERN.test(commit)) throw new ValidationError(`\`${commit}\` is not a git commit hash.`);
    const mirror = await this.mirror(url, commit, log, source);
    if (await pathExists(join(dir, '.git'))) {
      log(`Updating checkout ${dir}`);
      await this.git(['-C', dir, 'fetch', '--quiet', '--', mirror, commit], log);
    } else {
      log(`Cloning into ${dir}`);
      await mkdir(dir, { recursive: true });
      await this.git(['clone', '--quiet', '--no-checkout', '--', mirror, dir], log);
    }
    log(`Checking out ${commit.slice(0, 12)}`);
    // The trailing `--` says "no paths": the commit (checked to be a hash above) is the only revision.
    await this.git(['-C', dir, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', '--detach', commit, '--'], log);
    if (keep.length) await this.exclude(dir, keep);
  }

  private async exclude(dir: string, paths: string[]): Promise<void> {
    const file = join(dir, '.git', 'info', 'exclude');
    const current = await readFile(file, 'utf8').catch(() => '');
    const missing = paths.filter((p) => !current.split('\n').includes(p));
    if (!missing.length) return;
    await mkdir(join(dir, '.git', 'info'), { recursive: true });
    await appendFile(file, (current && !current.endsWith('\n') ? '\n' : '') + missing.join('\n') + '\n');
  }
}
