/**
 * A local Slack Web API on 127.0.0.1: the real WebClient (slackApiUrl → `apiUrl`) and Bolt's respond()
 * (response_url → `responseUrl()`) talk to it over HTTP. Every call is recorded with its parsed arguments.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Recorded Slack JSON: deliberately loose, since tests read into it and assert on what they find. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseJson = Record<string, any>;

export interface SlackCall {
  /** Web API method (`chat.postMessage`) or `response_url` for respond() posts. */
  method: string;
  /** Parsed arguments; JSON-encoded form fields (blocks, view) are decoded. */
  args: LooseJson;
  /** Bearer token sent, if any. */
  token: string | null;
  /** For response_url posts: the id in the URL. */
  responseId?: string;
  /** What the stand-in answered (ts of a posted message, …). */
  response: LooseJson;
  /** When the call arrived (ms since the epoch). */
  at: number;
  /** When the answer was sent (ms since the epoch; later than `at` when the method is slowed down). */
  answeredAt?: number;
}

/** Slack's per-method rate limiting, simulated: at most `limit` calls per `windowMs`, then 429 with Retry-After. */
export interface RateBudget {
  limit: number;
  windowMs: number;
  retryAfterS: number;
}

export interface SlackStandIn {
  /** Base for WebClient's slackApiUrl (ends with `/api/`). */
  apiUrl: string;
  /** A response_url the stand-in records posts to. */
  responseUrl(id?: string): string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Resolves with the first recorded call (past or future) matching; rejects after `timeoutMs` listing what was recorded. */
  waitFor(predicate: (c: SlackCall) => boolean, what?: string, timeoutMs?: number): Promise<SlackCall>;
  /** Usergroup id → member user ids, for usergroups.users.list. */
  usergroups: Map<string, string[]>;
  /** What apps.connections.open answers (Socket Mode): the WebSocket URL of a local stand-in; null: an error. */
  socketModeUrl: string | null;
  /** The next call to `method` answers `{ ok: false, error }`. */
  failNext(method: string, error: string): void;
  /** The next call to `method` answers HTTP 429 with `Retry-After` (default 0 s), as Slack's rate limiter does. */
  rateLimitNext(method: string, retryAfterS?: number): void;
  /** From now on, calls to `method` beyond `budget` answer 429 (like a Tier limit); null lifts it. */
  limitRate(method: string, budget: RateBudget | null): void;
  /** From now on, calls to `method` are answered `ms` after they arrive (a slow Slack); 0 lifts it. */
  slowDown(method: string, ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** The WebClient form-encodes arguments and JSON-encodes nested ones (blocks, view). */
const parseArgs = (body: string, contentType: string): LooseJson => {
  if (!body) return {};
  if (contentType.includes('application/json')) return JSON.parse(body) as LooseJson;
  const out: LooseJson = {};
  for (const [k, v] of new URLSearchParams(body)) {
    out[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return out;
};

const safeJson = (v: string): unknown => {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

export const startSlackStandIn = async (): Promise<SlackStandIn> => {
  const calls: SlackCall[] = [];
  const emitter = new EventEmitter();
  const usergroups = new Map<string, string[]>();
  const failures = new Map<string, string[]>();
  const rateLimited = new Map<string, number[]>();
  const budgets = new Map<string, { budget: RateBudget; recent: number[] }>();
  const delays = new Map<string, number>();
  /** Seconds to answer 429 with, or null to answer normally. */
  const limited = (method: string, now: number): number | null => {
    const queued = rateLimited.get(method);
    if (queued?.length) return queued.shift()!;
    const b = budgets.get(method);
    if (!b) return null;
    b.recent = b.recent.filter((t) => now - t < b.budget.windowMs);
    if (b.recent.length >= b.budget.limit) return b.budget.retryAfterS;
    b.recent.push(now);
    return null;
  };
  let counter = 0;
  const nextTs = (): string => `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;

  const answer = (method: string, args: LooseJson): LooseJson => {
    const queued = failures.get(method);
    if (queued?.length) return { ok: false, error: queued.shift() };
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://example.slack.com/', team: 'Example', user: 'distro', team_id: 'T0TEST', user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'chat.postMessage': {
        const ts = nextTs();
        return { ok: true, channel: args.channel, ts, message: { type: 'message', text: args.text, ts, bot_id: 'B0BOT', blocks: args.blocks } };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.publish':
        return { ok: true, view: { id: `V${++counter}`, type: 'home', ...(args.view ?? {}) } };
      case 'apps.connections.open':
        return standIn.socketModeUrl ? { ok: true, url: standIn.socketModeUrl } : { ok: false, error: 'invalid_auth' };
      case 'usergroups.users.list': {
        const members = usergroups.get(String(args.usergroup));
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
    const args = parseArgs(body, String(req.headers['content-type'] ?? ''));
    let call: SlackCall;
    const response = /^\/response\/([^/]+)$/.exec(url.pathname);
    const at = Date.now();
    const method = response ? 'response_url' : url.pathname.replace(/^\/api\//, '');
    const retryAfter = limited(method, at);
    if (retryAfter !== null) {
      const refused: SlackCall = { method: `${method} (429)`, args, token, response: { ok: false, error: 'ratelimited' }, at };
      calls.push(refused);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      emitter.emit('call', refused);
      return;
    }
    if (response) {
      call = { method, args, token, responseId: response[1]!, response: { ok: true }, at };
    } else {
      call = { method, args, token, response: answer(method, args), at };
    }
    const reply = call.response;
    calls.push(call);
    const delay = delays.get(method);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    call.answeredAt = Date.now();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply));
    emitter.emit('call', call);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const standIn: SlackStandIn = {
    socketModeUrl: null,
    apiUrl: `${base}/api/`,
    responseUrl: (id = String(++counter)) => `${base}/response/${id}`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    usergroups,
    failNext: (method, error) => failures.set(method, [...(failures.get(method) ?? []), error]),
    rateLimitNext: (method, retryAfterS = 0) => rateLimited.set(method, [...(rateLimited.get(method) ?? []), retryAfterS]),
    limitRate: (method, budget) => (budget ? budgets.set(method, { budget, recent: [] }) : budgets.delete(method)),
    slowDown: (method, ms) => (ms > 0 ? delays.set(method, ms) : delays.delete(method)),
    reset: () => {
      calls.length = 0;
      failures.clear();
      rateLimited.clear();
      budgets.clear();
      delays.clear();
    },
    waitFor: (predicate, what = 'a matching Slack call', timeoutMs = 25_000) =>
      new Promise((resolve, reject) => {
        const found = calls.find(predicate);
        if (found) return resolve(found);
        const onCall = (c: SlackCall): void => {
          if (!predicate(c)) return;
          clearTimeout(timer);
          emitter.off('call', onCall);
          resolve(c);
        };
        const timer = setTimeout(() => {
          emitter.off('call', onCall);
          const seen = calls.map((c) => `${c.method} ${String(c.args.text ?? '').slice(0, 80)}`).join('\n  ');
          reject(new Error(`Timed out waiting for ${what}. Recorded calls:\n  ${seen || '(none)'}`));
        }, timeoutMs);
        timer.unref();
        emitter.on('call', onCall);
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
  return standIn;
};

/** All text in a Block Kit structure (section/header/context/button texts, confirm dialogs), joined by newlines. */
export const blockText = (blocks: unknown): string => {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if (k === 'text' && typeof v === 'string') out.push(v);
        else walk(v);
      }
    }
  };
  walk(blocks);
  return out.join('\n');
};

/** Interactive elements (buttons) of a message, flattened. */
export const buttonsOf = (blocks: unknown): Array<{ action_id: string; value?: string; url?: string; style?: string; confirm?: unknown }> => {
  const found: Array<{ action_id: string; value?: string; url?: string; style?: string; confirm?: unknown }> = [];
  for (const b of (blocks as Array<LooseJson>) ?? []) {
    if (b.type === 'actions') found.push(...b.elements);
    if (b.accessory?.type === 'button') found.push(b.accessory);
  }
  return found;
};
