/**
 * Advisory feed readers: a git branch (drupal-composer/drupal-security-advisories by default), polled with one
 * `git ls-remote` and fetched (depth 1, into a small bare cache) only when its head moved; an operator's file,
 * read when its content digest changed; an operator's https URL, read with If-None-Match (an unchanged answer is a
 * 304, which costs GitHub's raw host nothing). Every reader refuses a feed over its size limit before reading it.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdvisoryFeedState } from '../domain/advisory-feed.js';
import { NotFoundError, TransientError, ValidationError } from '../domain/errors.js';
import type { AdvisoryFeedReader } from '../domain/ports.js';
import { redactUrl } from '../lib/redact.js';
import { GitUpstreamChecker, classifyGitError } from './git-checker.js';
import { runGit } from './git-exec.js';
import { LOCAL_GIT_ENV, UpstreamGuard } from './upstream-guard.js';

type ReadResult = Awaited<ReturnType<AdvisoryFeedReader['read']>>;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The clear notice for a feed over the limit: nothing of it is read or parsed. */
export const tooLarge = (label: string, bytes: number, maxBytes: number): ValidationError =>
  new ValidationError(`The advisory feed ${label} is too large (${mb(bytes)}; the limit is ${mb(maxBytes)}).`, [`${label}: ${bytes} bytes, limit ${maxBytes}`], {
    hint: 'The last good advisory snapshot stays in force. Raise ADVISORY_FEED_MAX_MB if the feed really is that large.',
  });

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface GitAdvisoryFeedOptions {
  url: string;
  branch: string;
  /** Path of the conflict map in the repository. */
  path?: string;
  maxBytes: number;
  /** Where the shallow bare cache lives. */
  cacheDir: string;
  allowLocalUpstreams: boolean;
  timeoutMs?: number;
}

export class GitAdvisoryFeed implements AdvisoryFeedReader {
  readonly source: string;
  readonly label: string;
  private readonly checker: GitUpstreamChecker;
  private readonly guard: UpstreamGuard;
  private readonly repo: string;

  constructor(private readonly options: GitAdvisoryFeedOptions) {
    this.source = `git:${options.url}#${options.branch}`;
    this.label = `${redactUrl(options.url)} (branch ${options.branch})`;
    this.checker = new GitUpstreamChecker({ allowLocalUpstreams: options.allowLocalUpstreams, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    this.guard = new UpstreamGuard({ allowLocal: options.allowLocalUpstreams });
    this.repo = join(options.cacheDir, `advisories-${sha256(this.source).slice(0, 16)}.git`);
  }

  async read(state: AdvisoryFeedState): Promise<ReadResult> {
    const { url, branch } = this.options;
    const refs = await this.checker.listRemote(url);
    const head = refs.branches.get(branch);
    if (!head) {
      throw new ValidationError(`The advisory feed ${this.label} has no branch \`${branch}\`.`, [], {
        hint: `Existing branches: ${[...refs.branches.keys()].slice(0, 10).join(', ') || '(none)'}. Set ADVISORY_FEED_BRANCH.`,
      });
    }
    if (head === state.commit) return { unchanged: true, state };
    await mkdir(this.options.cacheDir, { recursive: true });
    const local = (args: string[], maxBuffer?: number) =>
      runGit(['-C', this.repo, ...args], { env: LOCAL_GIT_ENV, timeoutMs: 30_000, ...(maxBuffer ? { maxBuffer } : {}) });
    try {
      await stat(join(this.repo, 'HEAD')).catch(async () => {
        await runGit(['init', '--bare', '--quiet', '--', this.repo], { env: LOCAL_GIT_ENV });
      });
      await this.guard.check(url);
      await runGit(['-C', this.repo, 'fetch', '--quiet', '--depth=1', '--no-tags', '--', url, `+refs/heads/${branch}:refs/feed/head`], {
        env: this.guard.gitEnv(),
        timeoutMs: this.options.timeoutMs ?? 60_000,
      });
    } catch (error) {
      throw error instanceof ValidationError || error instanceof TransientError ? error : classifyGitError(error, url);
    }
    const commit = (await local(['rev-parse', '--verify', '--quiet', 'refs/feed/head^{commit}'])).stdout.trim();
    const path = this.options.path ?? 'composer.json';
    const object = `${commit}:${path}`;
    const size = Number((await local(['cat-file', '-s', object]).catch(() => ({ stdout: 'NaN' }))).stdout.trim());
    if (!Number.isFinite(size)) throw new ValidationError(`The advisory feed ${this.label} has no ${path} at ${commit.slice(0, 12)}.`);
    if (size > this.options.maxBytes) throw tooLarge(this.label, size, this.options.maxBytes);
    const { stdout } = await local(['cat-file', 'blob', object], this.options.maxBytes + 1024);
    return { unchanged: false, commit, text: stdout, state: { ...state, commit } };
  }
}

/** Reads at most `maxBytes` of a file, refusing a larger one from its size before reading anything. */
const readBounded = async (path: string, label: string, maxBytes: number): Promise<string> => {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('advisory feed file', path);
    throw e;
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(label, size, maxBytes);
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
};

/** An operator's conflict-map file, polled for content changes (its digest is the snapshot's "commit"). */
export class FileAdvisoryFeed implements AdvisoryFeedReader {
  readonly source: string;
  readonly label: string;

  constructor(private readonly options: { path: string; maxBytes: number }) {
    this.source = `file:${options.path}`;
    this.label = options.path;
  }

  async read(state: AdvisoryFeedState): Promise<ReadResult> {
    const text = await readBounded(this.options.path, this.label, this.options.maxBytes);
    const commit = `sha256:${sha256(text)}`;
    return commit === state.commit ? { unchanged: true, state } : { unchanged: false, commit, text, state: { ...state, commit } };
  }
}

/** An operator's https URL of a conflict map, read conditionally (ETag) and streamed with a size cap. */
export class UrlAdvisoryFeed implements AdvisoryFeedReader {
  readonly source: string;
  readonly label: string;

  constructor(private readonly options: { url: string; maxBytes: number; timeoutMs?: number }) {
    this.source = `url:${options.url}`;
    this.label = redactUrl(options.url);
  }

  async read(state: AdvisoryFeedState): Promise<ReadResult> {
    let res: Response;
    try {
      res = await fetch(this.options.url, {
        headers: state.etag ? { 'if-none-match': state.etag } : {},
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new TransientError(`The advisory feed ${this.label} is unreachable right now: ${(error as Error).message}`, undefined, { cause: error });
    }
    if (res.status === 304) return { unchanged: true, state };
    if (res.status >= 500 || res.status === 429) throw new TransientError(`The advisory feed ${this.label} answered ${res.status}.`);
    if (!res.ok || !res.body) throw new ValidationError(`The advisory feed ${this.label} answered ${res.status}.`);
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > this.options.maxBytes) {
      await res.body.cancel();
      throw tooLarge(this.label, declared, this.options.maxBytes);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body) {
      total += chunk.byteLength;
      if (total > this.options.maxBytes) throw tooLarge(this.label, total, this.options.maxBytes);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const commit = `sha256:${sha256(text)}`;
    const etag = res.headers.get('etag');
    const next = { ...state, commit, ...(etag ? { etag } : {}) };
    return commit === state.commit ? { unchanged: true, state: next } : { unchanged: false, commit, text, state: next };
  }
}
