/**
 * POST /webhooks/github: verifies GitHub's X-Hub-Signature-256 over the raw body, turns push / tag create /
 * release events into "this ref moved" and hands them to `onEvent` (which only queues polls), so the response is
 * immediate and the real work happens in the job queue. Mount it before any global body parser.
 */
import { Webhooks } from '@octokit/webhooks';
import express, { type Request, type Response, type Router } from 'express';
import type { Actor } from '../domain/actor.js';
import type { RedeliveryStore } from '../domain/ports.js';
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
/** X-GitHub-Delivery is a GUID; anything else is not used as a key. */
const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;

interface RepositoryPayload {
  full_name?: unknown;
  clone_url?: unknown;
  ssh_url?: unknown;
  html_url?: unknown;
  git_url?: unknown;
  svn_url?: unknown;
}

type Outcome = { status: number; body: Record<string, unknown> };

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
  const webhooks = new Webhooks({ secret: options.secret });

  const handle = async (req: Request): Promise<Outcome> => {
    if (!Buffer.isBuffer(req.body)) {
      // A JSON parser ran first: the exact bytes GitHub signed are gone, so nothing can be verified.
      return { status: 500, body: { error: 'The webhook route received a parsed body; mount it before express.json().' } };
    }
    const raw = req.body.toString('utf8');
    const signature = req.get('x-hub-signature-256');
    if (!signature) return { status: 401, body: { error: 'Missing X-Hub-Signature-256 header.' } };
    const valid = raw.length > 0 && (await webhooks.verify(raw, signature).catch(() => false));
    if (!valid) return { status: 401, body: { error: 'Signature does not match the payload.' } };

    const name = req.get('x-github-event') ?? '';
    const delivery = req.get('x-github-delivery') ?? '';
    const payload = parsePayload(req, raw);
    if (!payload) return { status: 400, body: { error: 'The payload is not a JSON object.' } };
    if (name === 'ping') return { status: 200, body: { message: 'pong', zen: payload.zen ?? null } };

    const ref = refOf(name, payload);
    if (typeof ref === 'string') return { status: 200, body: { ignored: ref } };
    const repo = payload.repository as RepositoryPayload | undefined;
    if (!repo || typeof repo.full_name !== 'string') return { status: 400, body: { error: 'The payload has no repository.full_name.' } };

    const urls = [repo.clone_url, repo.ssh_url, repo.html_url, repo.git_url, repo.svn_url].filter((u): u is string => typeof u === 'string');
    const actor: Actor = delivery ? { kind: 'webhook', delivery } : { kind: 'webhook' };
    // Recorded before handling, atomically, so concurrent copies reaching two web processes run once.
    const key = DELIVERY_ID.test(delivery) ? `github-delivery:${delivery}` : null;
    if (key && (await options.redeliveries.seen(key, DELIVERY_TTL_MS))) return { status: 200, body: { ignored: 'duplicate delivery' } };
    let matched: Array<{ slug: string }>;
    try {
      matched = await options.onEvent({ fullName: repo.full_name, urls, ref, actor });
    } catch (error) {
      // Not handled after all: GitHub's redelivery must run it.
      if (key) await options.redeliveries.forget(key).catch(() => undefined);
      throw error;
    }
    if (matched.length === 0) return { status: 202, body: { ignored: `no distribution tracks ${repo.full_name} ${ref.kind} ${ref.name}` } };
    return { status: 202, body: { queued: matched.map((d) => d.slug) } };
  };

  const router = express.Router();
  router.post(GITHUB_WEBHOOK_PATH, express.raw({ type: () => true, limit: '25mb' }), async (req: Request, res: Response) => {
    try {
      const { status, body } = await handle(req);
      res.status(status).json(body);
    } catch (error) {
      options.onError?.(error);
      res.status(500).json({ error: 'Could not queue the update check; GitHub may redeliver.' });
    }
  });
  return router;
};
