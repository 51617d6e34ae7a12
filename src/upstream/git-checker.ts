/**
 * Polls a plain git remote with `git ls-remote` (one round trip, no clone) for new branch heads and tags.
 */
import type { Distribution } from '../domain/distribution.js';
import { TransientError, ValidationError } from '../domain/errors.js';
import type { UpstreamBuild, UpstreamChecker } from '../domain/ports.js';
import { firstErrorLine } from '../lib/first-error-line.js';
import { GitCommandError, redactUrl, runGit } from './git-exec.js';
import { selectNewBuilds, trackingOf } from '../domain/upstream-tracking.js';

export interface RemoteRefs {
  branches: Map<string, string>;
  /** Tag name → commit (annotated tags resolved through their peeled `^{}` entry). */
  tags: Map<string, string>;
}

/** Parses `git ls-remote` output. */
export const parseLsRemote = (output: string): RemoteRefs => {
  const branches = new Map<string, string>();
  const tags = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (!sha || !ref || !/^[0-9a-f]{40,64}$/.test(sha)) continue;
    if (ref.startsWith('refs/heads/')) branches.set(ref.slice('refs/heads/'.length), sha);
    else if (ref.startsWith('refs/tags/')) {
      const name = ref.slice('refs/tags/'.length);
      if (name.endsWith('^{}')) peeled.set(name.slice(0, -3), sha);
      else tags.set(name, sha);
    }
  }
  // The peeled entry is the commit an annotated tag points at; the plain entry is the tag object.
  for (const [name, commit] of peeled) tags.set(name, commit);
  return { branches, tags };
};

// git's wording for trouble that may go away on its own (DNS, refused/timed out connections, 5xx, dropped streams).
const TRANSIENT_PATTERNS = [
  /could not resolve host/i,
  /temporary failure in name resolution/i,
  /failed to connect/i,
  /connection (refused|reset|timed out)/i,
  /operation timed out/i,
  /network is unreachable/i,
  /the requested url returned error: (5\d\d|429)/i,
  /remote end hung up unexpectedly/i,
  /early eof/i,
  /rpc failed/i,
  /gnutls|ssl_connect|tls connection/i,
];

/** Maps a failed git call to a retryable TransientError or a clear, non-retryable ValidationError. */
export const classifyGitError = (error: unknown, url: string): Error => {
  const safeUrl = redactUrl(url);
  if (!(error instanceof GitCommandError)) return error instanceof Error ? error : new Error(String(error));
  if (error.timedOut) return new TransientError(`git timed out talking to ${safeUrl}`, undefined, { cause: error });
  // The cause comes first ("fatal: '…' does not appear to be a git repository"); git's advice after it is generic.
  const detail = redactUrl(firstErrorLine(error.stderr, 300, error.message));
  if (TRANSIENT_PATTERNS.some((p) => p.test(error.stderr))) {
    return new TransientError(`Upstream ${safeUrl} is unreachable right now: ${detail}`, undefined, { cause: error });
  }
  return new ValidationError(`Cannot read upstream ${safeUrl}: ${detail}`, [detail], {
    hint: 'Check the upstream URL and that the server can read it (credentials, deploy key).',
  });
};

export class GitUpstreamChecker implements UpstreamChecker {
  constructor(private readonly options: { timeoutMs?: number } = {}) {}

  /** Current branches and tags of a remote. */
  async listRemote(url: string): Promise<RemoteRefs> {
    try {
      const { stdout } = await runGit(['ls-remote', '--heads', '--tags', url], { timeoutMs: this.options.timeoutMs ?? 30_000 });
      return parseLsRemote(stdout);
    } catch (error) {
      throw classifyGitError(error, url);
    }
  }

  async check(distribution: Distribution): Promise<{ builds: UpstreamBuild[]; pollState: Record<string, string> }> {
    const upstream = distribution.upstream;
    if (upstream?.kind !== 'git') {
      throw new ValidationError(`Distribution \`${distribution.slug}\` has no git upstream.`);
    }
    const tracking = trackingOf(upstream);
    const refs = await this.listRemote(upstream.url);
    let branchHead: string | undefined;
    if (tracking.branch !== null) {
      branchHead = refs.branches.get(tracking.branch);
      if (!branchHead) {
        throw new ValidationError(`Branch \`${tracking.branch}\` does not exist at ${redactUrl(upstream.url)}.`, [], {
          hint: `Existing branches: ${[...refs.branches.keys()].slice(0, 10).join(', ') || '(none)'}`,
        });
      }
    }
    return selectNewBuilds(tracking, distribution.pollState, { branchHead, tags: tracking.tagPattern !== null ? refs.tags : undefined });
  }
}
