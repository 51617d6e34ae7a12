/**
 * POST /webhooks/github: verifies GitHub's X-Hub-Signature-256 over the raw body, turns push / tag create /
 * release events into "this ref moved" and hands them to `onEvent` (which only queues polls), so the response is
 * immediate and the real work happens in the job queue. Mount it before any global body parser.
 *
 * Anyone can reach this route, so nothing is read before the cheap checks: a request without a well-formed
 * signature header is refused before its body is read, bodies are capped at GitHub's own 25 MB, and the bytes held
 * by bodies being read are capped over all requests. Every answer, errors included, is JSON.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Actor } from '../domain/actor.js';
import type { RedeliveryStore } from '../domain/ports.js';
import { crashPoint } from '../lib/crash-point.js';
import type { UpstreamRefEvent } from '../services/poll-service.js';

export const GITHUB_WEBHOOK_PATH = '/webhooks/github';

export interface GitHubWebhookOptions {
  secret: string;
  /** Queues polls of the distributions tracking the repository/ref; returns them. */
  onEvent: (event: UpstreamRefEvent) => Promise<Array<{ slug: string }>>;
  /** Called with failures of onEvent (answered 500 so GitHub shows the delivery as failed). */
  onError?: (error: unknown) => void;
  /** Delivery ids already handled, shared by all web processes (repos.redeliveries). */
  redeliveries: RedeliveryStore;
}

/** GitHub redelivers on timeouts and on request: a delivery id handled within this time is a no-op. */
const DELIVERY_TTL_MS = 24 * 3_600_000;
/**
 * A delivery claimed but not completed after this long was cut off (its process died between claim and completion):
 * a redelivery handles it. GitHub itself gives up on a delivery after 10 s, so no live request holds a claim longer.
 */
export const DELIVERY_LEASE_MS = 10_000;
/** X-GitHub-Delivery is a GUID; anything else is not used as a key. */
const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;

/** GitHub caps webhook payloads at 25 MB. */
export const WEBHOOK_BODY_LIMIT_BYTES = 25 * 1024 * 1024;
/**
 * Bytes of not-yet-verified bodies held at once, over all requests: bounds what unverified posts can make the
 * process hold, however many arrive. Room for two maximal deliveries; GitHub's usual ones are a few KB.
 */
export const WEBHOOK_BUFFER_BUDGET_BYTES = 64 * 1024 * 1024;
const SIGNATURE_HEADER = /^sha256=[0-9a-fA-F]{64}$/;

interface RepositoryPayload {
  full_name?: unknown;
  clone_url?: unknown;
  ssh_url?: unknown;
  html_url?: unknown;
  git_url?: unknown;
  svn_url?: unknown;
}

type Outcome = { status: number; body: Record<string, unknown> };

const failure = (status: number, code: string, message: string): Outcome => ({ status, body: { error: { code, message } } });

/** Answers at once and closes the connection, so the unread rest of the body is never read. */
const refuseUnread = (res: Response, { status, body }: Outcome): void => {
  res.set('Connection', 'close').status(status).json(body);
};

const refOf = (name: string, payload: Record<string, unknown>): UpstreamRefEvent['ref'] | string => {
  switch (name) {
    case 'push': {
      if (payload.deleted === true) return 'ref deleted';
      const ref = typeof payload.ref === 'string' ? payload.ref : '';
      if (ref.startsWith('refs/heads/')) return { kind: 'branch', name: ref.slice('refs/heads/'.length) };
      if (ref.startsWith('refs/tags/')) return { kind: 'tag', name: ref.slice('refs/tags/'.length) };
      return `unsupported ref ${ref || '(none)'}`;
    }
    case 'create': {
      if (typeof payload.ref !== 'string') return 'no ref';
      if (payload.ref_type === 'tag') return { kind: 'tag', name: payload.ref };
      if (payload.ref_type === 'branch') return { kind: 'branch', name: payload.ref };
      return `unsupported ref_type ${String(payload.ref_type)}`;
    }
    case 'release': {
      const release = payload.release as { tag_name?: unknown } | undefined;
      if (payload.action !== 'published' && payload.action !== 'released') return `release ${String(payload.action)}`;
      if (typeof release?.tag_name !== 'string') return 'release without tag_name';
      return { kind: 'tag', name: release.tag_name };
    }
    default:
      return `event ${name} is not used`;
  }
};

/** Bytes held by bodies being read, shared by every request of one router. */
interface ReadBudget {
  used: number;
}

/**
 * The raw body as read (chunks, never copied before the signature is checked), 'too_large' as soon as it is known to exceed `limit` (from Content-Length, or while reading), or
 * 'busy' when holding it would exceed the shared budget. The rest is never read. (express.raw reads an oversized
 * body to its end to discard it before answering.)
 */
const readBody = (req: Request, limit: number, budget: ReadBudget): Promise<Buffer[] | 'too_large' | 'busy'> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.get('content-length') ?? 0);
    if (declared > limit) {
      resolve('too_large');
      return;
    }
    // A declared length is reserved up front, so a body that cannot fit is refused before any of it is read.
    let held = Number.isFinite(declared) && declared > 0 ? declared : 0;
    if (budget.used + held > WEBHOOK_BUFFER_BUDGET_BYTES) {
      resolve('busy');
      return;
    }
    budget.used += held;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer[] | 'too_large' | 'busy' | Error) => {
      req.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      budget.used -= held;
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      const grow = Math.max(0, size - held);
      if (size > limit || budget.used + grow > WEBHOOK_BUFFER_BUDGET_BYTES) {
        req.pause();
        finish(size > limit ? 'too_large' : 'busy');
        return;
      }
      budget.used += grow;
      held += grow;
      chunks.push(chunk);
    };
    const onEnd = () => finish(chunks);
    const onClose = () => finish(new Error('The client closed the connection before the body was complete.'));
    req.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
  });

const parsePayload = (req: Request, raw: string): Record<string, unknown> | null => {
  try {
    // GitHub can be configured to send application/x-www-form-urlencoded with the JSON in `payload`.
    const json = req.is('application/x-www-form-urlencoded') ? new URLSearchParams(raw).get('payload') : raw;
    const value: unknown = json === null ? null : JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

export const createGitHubWebhookRouter = (options: GitHubWebhookOptions): Router => {
  /** HMAC-SHA256 over the chunks as they came, compared in constant time with the (well-formed) header. */
  const signatureMatches = (chunks: Buffer[], header: string): boolean => {
    const hmac = createHmac('sha256', options.secret);
    for (const chunk of chunks) hmac.update(chunk);
    const expected = Buffer.from(`sha256=${hmac.digest('hex')}`);
    const given = Buffer.from(header.toLowerCase());
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const handle = async (req: Request, chunks: Buffer[]): Promise<Outcome> => {
    const valid = chunks.length > 0 && signatureMatches(chunks, req.get('x-hub-signature-256') ?? '');
    if (!valid) return failure(401, 'bad_signature', 'X-Hub-Signature-256 does not match the payload.');
    const raw = Buffer.concat(chunks).toString('utf8');

    const name = req.get('x-github-event') ?? '';
    const delivery = req.get('x-github-delivery') ?? '';
    const payload = parsePayload(req, raw);
    if (!payload) return failure(400, 'validation', 'The payload is not a JSON object.');
    if (name === 'ping') return { status: 200, body: { message: 'pong', zen: payload.zen ?? null } };

    const ref = refOf(name, payload);
    if (typeof ref === 'string') return { status: 200, body: { ignored: ref } };
    const repo = payload.repository as RepositoryPayload | undefined;
    if (!repo || typeof repo.full_name !== 'string') return failure(400, 'validation', 'The payload has no repository.full_name.');

    const urls = [repo.clone_url, repo.ssh_url, repo.html_url, repo.git_url, repo.svn_url].filter((u): u is string => typeof u === 'string');
    const actor: Actor = delivery ? { kind: 'webhook', delivery } : { kind: 'webhook' };
    // Claimed before the work, atomically in the shared store, so copies reaching two web processes at once act
    // once; completed only once the work is committed, so a delivery whose process died in between is handled by a
    // redelivery after the claim's lease; released if the work fails so GitHub's redelivery runs it.
    const key = DELIVERY_ID.test(delivery) ? `github-delivery:${delivery}` : null;
    const claim = key ? await options.redeliveries.claim(key, DELIVERY_TTL_MS, DELIVERY_LEASE_MS) : 'claimed';
    if (claim === 'done') return { status: 200, body: { ignored: 'duplicate delivery' } };
    if (claim === 'in-progress') {
      return failure(409, 'in_progress', `This delivery is being handled; if it does not complete, redeliver it after ${DELIVERY_LEASE_MS / 1000} s.`);
    }
    crashPoint('webhook:claimed');
    let matched: Array<{ slug: string }>;
    try {
      matched = await options.onEvent({ fullName: repo.full_name, urls, ref, actor });
    } catch (error) {
      // Not handled after all: GitHub's redelivery must run it.
      if (key) await options.redeliveries.forget(key).catch(() => undefined);
      throw error;
    }
    if (key) await options.redeliveries.complete(key);
    if (matched.length === 0) return { status: 202, body: { ignored: `no distribution tracks ${repo.full_name} ${ref.kind} ${ref.name}` } };
    return { status: 202, body: { queued: matched.map((d) => d.slug) } };
  };

  const budget: ReadBudget = { used: 0 };
  /** Refuses a request without a well-formed signature header before a single body byte is read. */
  const gate: RequestHandler = (req, res, next) => {
    if (!SIGNATURE_HEADER.test(req.get('x-hub-signature-256') ?? '')) {
      refuseUnread(res, failure(401, 'missing_signature', 'X-Hub-Signature-256 (sha256=<64 hex digits>) is required.'));
      return;
    }
    next();
  };

  const router = express.Router();
  router.post(GITHUB_WEBHOOK_PATH, gate, async (req: Request, res: Response) => {
    if (req.body !== undefined || req.readableEnded) {
      // A body parser ran first: the exact bytes GitHub signed are gone, so nothing can be verified.
      res.status(500).json(failure(500, 'misconfigured', 'The webhook route received a parsed body; mount it before express.json().').body);
      return;
    }
    try {
      const body = await readBody(req, WEBHOOK_BODY_LIMIT_BYTES, budget);
      if (body === 'too_large') {
        refuseUnread(res, failure(413, 'payload_too_large', `Webhook bodies are limited to ${WEBHOOK_BODY_LIMIT_BYTES} bytes (25 MB, GitHub's own limit).`));
        return;
      }
      if (body === 'busy') {
        res.set('Retry-After', '5');
        refuseUnread(res, failure(503, 'busy', 'Too many large webhook deliveries are being read at once; redeliver shortly.'));
        return;
      }
      const { status, body: answer } = await handle(req, body);
      res.status(status).json(answer);
    } catch (error) {
      options.onError?.(error);
      if (!res.headersSent) res.status(500).json(failure(500, 'internal', 'Could not queue the update check; GitHub may redeliver.').body);
    }
  });
  return router;
};
