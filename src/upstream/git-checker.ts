/**
 * Polls a plain git remote with `git ls-remote` (one round trip, no clone) for new branch heads and tags.
 */
import type { Distribution } from '../domain/distribution.js';
import { TransientError, ValidationError } from '../domain/errors.js';
import type { UpstreamBuild, UpstreamChecker } from '../domain/ports.js';
import { isValidRefName } from '../domain/ref-name.js';
import { firstErrorLine } from '../lib/first-error-line.js';
import { selectNewBuilds, trackingOf } from '../domain/upstream-tracking.js';
import { redactUrl } from '../lib/redact.js';
import { GitCommandError, runGit, upstreamGitBounds } from './git-exec.js';
import { UpstreamGuard } from './upstream-guard.js';

export interface RemoteRefs {
  branches: Map<string, string>;
  /** Tag name → commit (annotated tags resolved through their peeled `^{}` entry). */
  tags: Map<string, string>;
}

/** Parses `git ls-remote` output. A server may advertise anything: names git itself would refuse are skipped. */
export const parseLsRemote = (output: string): RemoteRefs => {
  const branches = new Map<string, string>();
  const tags = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (!sha || !ref || !/^[0-9a-f]{40,64}$/.test(sha)) continue;
    if (ref.startsWith('refs/heads/')) {
      const name = ref.slice('refs/heads/'.length);
      if (isValidRefName(name)) branches.set(name, sha);
    } else if (ref.startsWith('refs/tags/')) {
      const name = ref.slice('refs/tags/'.length);
      const peeledName = name.endsWith('^{}') ? name.slice(0, -3) : null;
      if (!isValidRefName(peeledName ?? name)) continue;
      if (peeledName !== null) peeled.set(peeledName, sha);
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
  if (error.exceeded) return new TransientError(`The upstream ${safeUrl} ${error.exceeded}.`, undefined, { cause: error });
  // The cause comes first ("fatal: '…' does not appear to be a git repository"); git's advice after it is generic.
  const detail = redactUrl(firstErrorLine(error.stderr, 300, error.message));
  if (TRANSIENT_PATTERNS.some((p) => p.test(error.stderr))) {
    return new TransientError(`Upstream ${safeUrl} is unreachable right now: ${detail}`, undefined, { cause: error });
  }
  return new ValidationError(`Cannot read upstream ${safeUrl}: ${detail}`, [detail], {
    hint: 'Check the upstream URL and that the server can read it (credentials, deploy key).',
  });
};

export interface GitUpstreamCheckerOptions {
  /** GIT_TIMEOUT_SECONDS in ms: how long the upstream may stay silent (see upstreamGitBounds). */
  timeoutMs?: number;
  /** ALLOW_LOCAL_UPSTREAMS: file://, local paths, http:// and loopback/private hosts may be polled. */
  allowLocalUpstreams?: boolean;
}

export class GitUpstreamChecker implements UpstreamChecker {
  private readonly guard: UpstreamGuard;

  constructor(private readonly options: GitUpstreamCheckerOptions = {}) {
    this.guard = new UpstreamGuard({ allowLocal: options.allowLocalUpstreams ?? false });
  }

  /** Current branches and tags of a remote. The URL is checked first and passed after `--`, never as an option. */
  async listRemote(url: string): Promise<RemoteRefs> {
    await this.guard.check(url);
    try {
      const { stdout } = await runGit(['ls-remote', '--heads', '--tags', '--', url], { ...upstreamGitBounds(this.options.timeoutMs), env: this.guard.gitEnv() });
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
