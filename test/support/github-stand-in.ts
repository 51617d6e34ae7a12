/**
 * A local stand-in for the parts of the GitHub REST API the poller uses, served over real HTTP on 127.0.0.1 from
 * real on-disk git repositories (read on every request, so a new commit/tag shows up immediately).
 * Like GitHub it sends ETags, answers 304 to a matching If-None-Match without spending rate limit, and
 * reports x-ratelimit-* headers. It can simulate a primary rate limit (403), a secondary one (403 + retry-after)
 * and a 500. It also serves the repositories for `git clone <url>/<owner>/<repo>.git` over git's "dumb" HTTP
 * protocol (static files after `git update-server-info`), as github.com would for the hosting driver.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runGit } from '../../src/upstream/git-exec.js';
import { compareVersions } from '../../src/domain/compare/versions.js';

/** API failures, or `git-unavailable`: the next git protocol request (clone/fetch) gets a 503. */
export type SimulatedFailure = 'rate-limit' | 'secondary-rate-limit' | 'server-error' | 'git-unavailable';

export interface GitHubStandInStats {
  requests: number;
  /** Requests that spent rate limit (everything but 304s). */
  rateLimited: number;
  notModified: number;
  /** "GET /repos/o/r/tags" → count. */
  byRoute: Record<string, number>;
  /** Git protocol requests (clones/fetches), not API calls. */
  gitRequests: number;
}

export interface GitHubStandIn {
  /** API base URL for octokit's baseUrl. */
  url: string;
  stats: GitHubStandInStats;
  /** Serves owner/repo from the git repository at `gitPath`. */
  addRepo(owner: string, repo: string, gitPath: string): void;
  /** The next `times` requests fail this way. */
  failNext(failure: SimulatedFailure, times?: number): void;
  remaining(): number;
  resetStats(): void;
  close(): Promise<void>;
}

export interface GitHubStandInOptions {
  /** When set, requests must carry `authorization: token <token>` (or Bearer). */
  token?: string;
  rateLimit?: number;
  /** When the simulated primary rate limit resets (epoch seconds); default a minute from the failure. */
  resetEpochSeconds?: number;
  /** Seconds GitHub asks to wait on a simulated secondary rate limit. */
  retryAfterSeconds?: number;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const emptyStats = (): GitHubStandInStats => ({ requests: 0, rateLimited: 0, notModified: 0, byRoute: {}, gitRequests: 0 });

export const startGitHubStandIn = async (options: GitHubStandInOptions = {}): Promise<GitHubStandIn> => {
  const limit = options.rateLimit ?? 5000;
  let remaining = limit;
  const resetAt = Math.floor(Date.now() / 1000) + 3600;
  const repos = new Map<string, string>();
  const failures: SimulatedFailure[] = [];
  let gitFailures = 0;
  const stats = emptyStats();
  let base = '';

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(limit - remaining),
    'x-ratelimit-reset': String(resetAt),
    'x-ratelimit-resource': 'core',
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...headers, ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}) });
    res.end(text);
  };

  const gitDir = (owner: string, repo: string): string => {
    const dir = repos.get(`${owner}/${repo}`.toLowerCase());
    if (!dir) throw new HttpProblem(404, 'Not Found');
    return dir;
  };

  const branch = async (owner: string, repo: string, name: string) => {
    const dir = gitDir(owner, repo);
    const sha = await runGit(['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`], { cwd: dir })
      .then((r) => r.stdout.trim())
      .catch(() => null);
    if (!sha) throw new HttpProblem(404, 'Branch not found');
    return {
      name,
      commit: { sha, url: `${base}/repos/${owner}/${repo}/commits/${sha}` },
      protected: false,
      _links: { self: `${base}/repos/${owner}/${repo}/branches/${name}` },
    };
  };

  const tags = async (owner: string, repo: string, perPage: number) => {
    const dir = gitDir(owner, repo);
    const { stdout } = await runGit(['for-each-ref', '--format=%(refname:short) %(objectname) %(*objectname)', 'refs/tags'], { cwd: dir });
    const rows = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, object, peeled] = line.split(' ');
        return { name: name!, sha: peeled || object! };
      })
      .sort((a, b) => compareVersions(b.name, a.name));
    return rows.slice(0, perPage).map(({ name, sha }) => ({
      name,
      commit: { sha, url: `${base}/repos/${owner}/${repo}/commits/${sha}` },
      zipball_url: `${base}/repos/${owner}/${repo}/zipball/refs/tags/${name}`,
      tarball_url: `${base}/repos/${owner}/${repo}/tarball/refs/tags/${name}`,
      node_id: Buffer.from(`tag:${owner}/${repo}/${name}`).toString('base64'),
    }));
  };

  const route = async (req: IncomingMessage, url: URL): Promise<{ key: string; body: unknown }> => {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && parts[0] === 'repos' && parts.length >= 4) {
      const [, owner, repo, kind, ...rest] = parts as [string, string, string, string, ...string[]];
      if (kind === 'branches' && rest.length > 0) {
        return { key: 'GET /repos/{owner}/{repo}/branches/{branch}', body: await branch(owner, repo, rest.join('/')) };
      }
      if (kind === 'tags' && rest.length === 0) {
        const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
        return { key: 'GET /repos/{owner}/{repo}/tags', body: await tags(owner, repo, perPage) };
      }
    }
    throw new HttpProblem(404, 'Not Found');
  };

  /** GET /<owner>/<repo>.git/<file>: the dumb HTTP protocol is plain files of the git directory. */
  const serveGit = async (url: URL, res: ServerResponse) => {
    stats.gitRequests++;
    if (gitFailures > 0) {
      gitFailures--;
      return send(res, 503, { message: 'Service Unavailable' });
    }
    const [, owner = '', repoGit = '', ...rest] = url.pathname.split('/').map(decodeURIComponent);
    const dir = repos.get(`${owner}/${repoGit.replace(/\.git$/, '')}`.toLowerCase());
    const file = normalize(rest.join('/'));
    if (!dir || file.startsWith('..')) return send(res, 404, { message: 'Not Found' });
    const gitDir = (await runGit(['rev-parse', '--absolute-git-dir'], { cwd: dir })).stdout.trim();
    if (file === 'info/refs') await runGit(['update-server-info'], { cwd: dir });
    const content = await readFile(join(gitDir, file)).catch(() => null);
    if (!content) return send(res, 404, { message: 'Not Found' });
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(content);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    if (/^\/[^/]+\/[^/]+\.git\//.test(url.pathname)) return serveGit(url, res);
    stats.requests++;
    if (options.token) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) {
        send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
        return;
      }
    }
    const failure = failures.shift();
    if (failure === 'rate-limit') {
      remaining = 0;
      send(res, 403, { message: 'API rate limit exceeded for 127.0.0.1.' }, { ...rateHeaders(), 'x-ratelimit-reset': String(options.resetEpochSeconds ?? Math.floor(Date.now() / 1000) + 60) });
      return;
    }
    if (failure === 'secondary-rate-limit') {
      send(res, 403, { message: 'You have exceeded a secondary rate limit.' }, { ...rateHeaders(), 'retry-after': String(options.retryAfterSeconds ?? 7) });
      return;
    }
    if (failure === 'server-error') {
      send(res, 500, { message: 'Server Error' });
      return;
    }
    try {
      const { key, body } = await route(req, url);
      stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
      const etag = `W/"${createHash('sha1').update(JSON.stringify(body)).digest('hex')}"`;
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch && ifNoneMatch.split(',').map((s) => s.trim()).includes(etag)) {
        // Like GitHub: a conditional hit costs nothing.
        stats.notModified++;
        send(res, 304, undefined, { etag, ...rateHeaders() });
        return;
      }
      remaining = Math.max(0, remaining - 1);
      stats.rateLimited++;
      send(res, 200, body, { etag, ...rateHeaders() });
    } catch (error) {
      if (error instanceof HttpProblem) {
        remaining = Math.max(0, remaining - 1);
        stats.rateLimited++;
        send(res, error.status, { message: error.message, documentation_url: 'https://docs.github.com/rest' }, rateHeaders());
      } else {
        send(res, 500, { message: error instanceof Error ? error.message : 'Server Error' });
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: error instanceof Error ? error.message : 'Server Error' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    stats,
    addRepo: (owner, repo, path) => void repos.set(`${owner}/${repo}`.toLowerCase(), path),
    failNext: (failure, times = 1) => {
      if (failure === 'git-unavailable') gitFailures += times;
      else for (let i = 0; i < times; i++) failures.push(failure);
    },
    remaining: () => remaining,
    resetStats: () => Object.assign(stats, emptyStats()),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
};
