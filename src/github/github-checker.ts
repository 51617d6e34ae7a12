/**
 * Polls GitHub's REST API (through octokit) for new branch heads and tags. Every request is conditional
 * (If-None-Match with the ETag kept in pollState): an unchanged answer is a 304, which GitHub does not count
 * against the rate limit, so frequent polling of quiet repositories is free.
 */
import { Octokit } from '@octokit/core';
import { RequestError } from '@octokit/request-error';
import type { Distribution } from '../domain/distribution.js';
import { TransientError, ValidationError } from '../domain/errors.js';
import type { Clock, UpstreamBuild, UpstreamChecker } from '../domain/ports.js';
import { selectNewBuilds, trackingOf, type CurrentRefs } from '../domain/upstream-tracking.js';

export interface GitHubCheckerOptions {
  apiUrl: string;
  token?: string | null;
  timeoutMs?: number;
  clock?: Clock;
}

export const etagKey = (what: string): string => `etag:${what}`;

/** Maps an octokit failure to TransientError (retry later, with the delay GitHub asked for) or ValidationError. */
export const classifyGitHubError = (error: unknown, what: string, now: Date): Error => {
  if (!(error instanceof RequestError)) {
    return new TransientError(`GitHub request for ${what} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
  }
  const headers = error.response?.headers ?? {};
  const header = (name: string): string | undefined => {
    const v = (headers as Record<string, unknown>)[name];
    return v === undefined || v === null ? undefined : String(v);
  };
  const status = error.status;
  if (status === 403 || status === 429) {
    const retryAfter = header('retry-after');
    if (retryAfter !== undefined && Number.isFinite(Number(retryAfter))) {
      return new TransientError(`GitHub asked to slow down (${what}); retrying in ${retryAfter}s.`, Number(retryAfter) * 1000, { cause: error });
    }
    if (header('x-ratelimit-remaining') === '0') {
      const reset = Number(header('x-ratelimit-reset'));
      const waitMs = Number.isFinite(reset) ? Math.max(1000, reset * 1000 - now.getTime()) : 60_000;
      return new TransientError(`GitHub rate limit exhausted (${what}); it resets in ${Math.ceil(waitMs / 1000)}s.`, waitMs, { cause: error });
    }
    if (status === 429) return new TransientError(`GitHub rate limited ${what}.`, 60_000, { cause: error });
  }
  if (status >= 500) return new TransientError(`GitHub is unavailable (${status}) for ${what}.`, undefined, { cause: error });
  if (status === 401) {
    return new ValidationError(`GitHub rejected the token while reading ${what}.`, [error.message], { hint: 'Check GITHUB_TOKEN.' });
  }
  if (status === 404) {
    return new ValidationError(`GitHub has no ${what} (or the token cannot see it).`, [error.message], {
      hint: 'Check the upstream owner/repo/branch and the token\'s access.',
    });
  }
  return new ValidationError(`GitHub refused ${what} (${status}): ${error.message}`, [error.message]);
};

export class GitHubUpstreamChecker implements UpstreamChecker {
  private readonly octokit: InstanceType<typeof Octokit>;
  private readonly clock: Clock;
  /** While GitHub has told us to wait, checks fail fast without a request (don't hammer). */
  private blockedUntil = 0;

  constructor(private readonly options: GitHubCheckerOptions) {
    this.clock = options.clock ?? { now: () => new Date() };
    this.octokit = new Octokit({
      ...(options.token ? { auth: options.token } : {}),
      baseUrl: options.apiUrl,
      // The bare core: no retry or throttling plugin. Retries belong to the job queue (TransientError + backoff);
      // those plugins would sleep inside a job.
    });
  }

  async check(distribution: Distribution): Promise<{ builds: UpstreamBuild[]; pollState: Record<string, string> }> {
    const upstream = distribution.upstream;
    if (upstream?.kind !== 'github') {
      throw new ValidationError(`Distribution \`${distribution.slug}\` has no GitHub upstream.`);
    }
    const waitMs = this.blockedUntil - this.clock.now().getTime();
    if (waitMs > 0) throw new TransientError(`Waiting for the GitHub rate limit to reset (${Math.ceil(waitMs / 1000)}s).`, waitMs);

    const { owner, repo } = upstream;
    const tracking = trackingOf(upstream);
    const state = distribution.pollState;
    const etags: Record<string, string> = {};
    const current: CurrentRefs = {};

    if (tracking.tagPattern !== null) {
      const res = await this.conditionalGet<Array<{ name: string; commit: { sha: string } }>>(
        'GET /repos/{owner}/{repo}/tags',
        { owner, repo, per_page: 100 },
        state[etagKey('tags')],
        `tags of ${owner}/${repo}`,
      );
      if (res) {
        current.tags = new Map(res.data.map((t) => [t.name, t.commit.sha]));
        if (res.etag) etags[etagKey('tags')] = res.etag;
      }
    }
    if (tracking.branch !== null) {
      const what = `branch:${tracking.branch}`;
      const res = await this.conditionalGet<{ commit: { sha: string } }>(
        'GET /repos/{owner}/{repo}/branches/{branch}',
        { owner, repo, branch: tracking.branch },
        state[etagKey(what)],
        `branch ${tracking.branch} of ${owner}/${repo}`,
      );
      if (res) {
        current.branchHead = res.data.commit.sha;
        if (res.etag) etags[etagKey(what)] = res.etag;
      }
    }
    const selected = selectNewBuilds(tracking, state, current);
    return { builds: selected.builds, pollState: { ...selected.pollState, ...etags } };
  }

  /** The response, or null on 304 Not Modified. */
  private async conditionalGet<T>(
    route: string,
    params: Record<string, string | number>,
    etag: string | undefined,
    what: string,
  ): Promise<{ data: T; etag: string | undefined } | null> {
    try {
      const res = await this.octokit.request(route, {
        ...params,
        headers: etag ? { 'if-none-match': etag } : {},
        request: { signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) },
      });
      return { data: res.data as T, etag: res.headers.etag };
    } catch (error) {
      if (error instanceof RequestError && error.status === 304) return null;
      const classified = classifyGitHubError(error, what, this.clock.now());
      if (classified instanceof TransientError && classified.retryAfterMs !== undefined) {
        this.blockedUntil = this.clock.now().getTime() + classified.retryAfterMs;
      }
      throw classified;
    }
  }
}
