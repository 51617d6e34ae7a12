/**
 * Admin authentication: a bearer token or HTTP basic credentials. With neither configured (the embedded
 * development default) access is allowed, but only from the machine itself, and only under a loopback or
 * PUBLIC_URL host name (a DNS-rebound name is refused).
 * Credentials a browser sends by itself (none in the open mode, basic auth) also need a same-origin proof on
 * state-changing requests, so another site's page cannot make the browser change anything (CSRF).
 * Pages posted to Slack carry a signed, expiring link instead (LinkSigner), so a click needs no login.
 */
import { safeEqual } from '../lib/safe-equal.js';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Actor } from '../domain/actor.js';
import { ACTION_ROLES, roleAtLeast, type AdminAction, type AdminRole } from '../domain/admin-roles.js';
import { API_TOKEN_PREFIX, type ApiToken } from '../domain/api-token.js';
import type { AdminUser } from '../lib/admin-users.js';
import type { LinkSigner } from '../services/link-signer.js';
import { sendError, type MappedError } from './error-mapping.js';
import { html } from './html.js';
import { layout } from './pages/layout.js';
import { runWithPageContext } from './pages/page-context.js';
import type { SessionManager } from './session/session-manager.js';

export interface AdminAuth {
  token: string | null;
  user: string | null;
  password: string | null;
  /** ADMIN_USERS: named users who sign in on /login (a cookie session). */
  users?: AdminUser[];
  /** Their sessions; set by createHttpApp when there are users. */
  sessions?: SessionManager | null;
  /** Their personal API tokens (read from the store on every request); set by createHttpApp when there are users. */
  apiTokens?: { verify(secret: string): Promise<ApiToken | null> } | null;
}

export const ADMIN_ACTOR: Actor = { kind: 'user', id: 'admin', via: 'api' };


export const isLoopback = (address: string | undefined): boolean =>
  !!address && (address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address));

const basicEnabled = (auth: AdminAuth): auth is AdminAuth & { user: string; password: string } =>
  auth.user !== null && auth.password !== null;

const sessionsEnabled = (auth: AdminAuth): auth is AdminAuth & { sessions: SessionManager } => Boolean(auth.sessions?.enabled);

const openMode = (auth: AdminAuth): boolean => !auth.token && !basicEnabled(auth) && !sessionsEnabled(auth);

/**
 * How a request proved itself: `bearer` (ADMIN_TOKEN) and `token` (a personal API token) are the credentials a
 * browser never attaches on its own.
 */
export type Credential = 'open' | 'bearer' | 'token' | 'basic' | 'session';

interface Identity {
  actor: Actor;
  via: Credential;
  /** The token, basic auth and the open mode act as admin; a signed-in user has their configured role. */
  role: AdminRole;
  /** A session's synchronizer token (every state change of a session must carry it). */
  csrf?: string;
  /** The ADMIN_USERS user behind a session or a personal token, with their own role (tokens belong to them). */
  owner?: { name: string; role: AdminRole };
}

const lowerRole = (a: AdminRole, b: AdminRole): AdminRole => (roleAtLeast(a, b) ? b : a);

/**
 * A personal API token: live in the store (not revoked, not expired) and owned by a user still in ADMIN_USERS.
 * It acts with the lower of its own role and the user's current one.
 */
const tokenIdentity = async (auth: AdminAuth, secret: string, req: Request, surface: 'api' | 'page'): Promise<Identity | null> => {
  if (!auth.apiTokens || !secret.startsWith(API_TOKEN_PREFIX)) return null;
  const token = await auth.apiTokens.verify(secret);
  const user = token ? auth.users?.find((u) => u.name === token.user) : undefined;
  if (!token || !user) return null;
  // The CLI says who it is, so the audit log can tell a script's change from the CLI's; otherwise the route decides.
  const via = surface === 'api' && /^distro-cli\//.test(req.get('user-agent') ?? '') ? 'cli' : surface;
  return {
    actor: { kind: 'user', id: user.name, name: user.name, via, token: token.name },
    via: 'token',
    role: lowerRole(token.role, user.role),
    owner: { name: user.name, role: user.role },
  };
};

/** The identity the credentials prove, or null when they prove nothing. */
const identify = async (auth: AdminAuth, req: Request): Promise<Identity | null> => {
  const header = req.get('authorization') ?? '';
  // One surface per request, decided by the route and the same whatever the credential: `api` under /api, `page`
  // for the pages' forms (a bearer token posting a page form acted through the page, as a session does).
  const surface = /^\/api(\/|\?|$)/.test(req.originalUrl) ? 'api' : 'page';
  if (openMode(auth)) return isLoopback(req.socket.remoteAddress) ? { actor: { ...ADMIN_ACTOR, via: surface }, via: 'open', role: 'admin' } : null;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer && auth.token && safeEqual(bearer[1]!.trim(), auth.token)) return { actor: { ...ADMIN_ACTOR, via: surface }, via: 'bearer', role: 'admin' };
  if (bearer) {
    const personal = await tokenIdentity(auth, bearer[1]!.trim(), req, surface);
    if (personal) return personal;
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic && basicEnabled(auth)) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const user = decoded.slice(0, colon);
      // Evaluate both so a wrong user name takes as long as a wrong password.
      const userOk = safeEqual(user, auth.user);
      const passwordOk = safeEqual(decoded.slice(colon + 1), auth.password);
      if (userOk && passwordOk) return { actor: { kind: 'user', id: user, name: user, via: surface }, via: 'basic', role: 'admin' };
    }
  }
  const signedIn = sessionsEnabled(auth) ? await auth.sessions.resolve(req) : null;
  if (signedIn) {
    const { name, role } = signedIn.user;
    return { actor: { kind: 'user', id: name, name, via: surface }, via: 'session', role, csrf: signedIn.session.csrf, owner: { name, role } };
  }
  return null;
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const HOST_HEADER = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/** The host name of a Host header or URL (no port, lower case), or null when it is not one. */
const hostNameOf = (host: string | undefined): string | null => {
  // Only name[:port] or [v6]:port: `a@b` or `a/b` would parse as something else than the whole header says.
  if (!host || !HOST_HEADER.test(host)) return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
};

/** Loopback names (any port) or PUBLIC_URL's host: what a DNS-rebinding page can never send. */
const hostAllowed = (host: string | undefined, publicUrl: string): boolean => {
  const name = hostNameOf(host);
  return name !== null && (LOOPBACK_HOSTS.has(name) || name === new URL(publicUrl).hostname);
};

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * True when a browser says the request comes from our own pages (Sec-Fetch-Site, which pages cannot set),
 * or, from browsers without it, when Origin is this host or PUBLIC_URL. Neither header: no proof.
 */
export const sameOrigin = (req: Request, publicUrl: string): boolean => {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = req.get('origin');
  if (!origin || origin === 'null') return false;
  try {
    const url = new URL(origin);
    return url.host === req.get('host')?.toLowerCase() || url.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
};

const wantsPage = (req: Request): boolean => req.method === 'GET' && !/^\/(api|webhooks)(\/|\?|$)/.test(req.originalUrl);

/** Only a path on this site (no `//host`, no scheme): the login's `next` can never send anyone elsewhere. */
export const localPath = (next: unknown): string =>
  typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && next.length <= 2048 ? next : '/';

const refuse = (auth: AdminAuth, req: Request, res: Response): void => {
  if (sessionsEnabled(auth) && wantsPage(req)) {
    res.redirect(303, `/login?next=${encodeURIComponent(localPath(req.originalUrl))}`);
    return;
  }
  if (openMode(auth)) {
    sendError(req, res, {
      status: 403,
      body: { code: 'forbidden', message: 'Admin access without ADMIN_TOKEN or ADMIN_USER/ADMIN_PASSWORD is only allowed from localhost.' },
    });
    return;
  }
  // Basic lets a browser prompt for credentials on pages; API clients are told about both schemes.
  res.set('WWW-Authenticate', basicEnabled(auth) ? 'Basic realm="Distro", charset="UTF-8"' : 'Bearer realm="Distro"');
  const message = sessionsEnabled(auth)
    ? 'Authentication required: sign in at /login, or send a bearer token or basic credentials.'
    : 'Authentication required: a bearer token or basic credentials.';
  sendError(req, res, { status: 401, body: { code: 'unauthorized', message } });
};

/** Who acts in this request, with its request id (pino-http's `req.id`), so what it starts can be traced to it. */
export const actorOf = (res: Response): Actor => {
  const actor = (res.locals['actor'] as Actor | undefined) ?? ADMIN_ACTOR;
  const requestId = (res.req as { id?: unknown } | undefined)?.id;
  return actor.kind === 'user' && typeof requestId === 'string' ? { ...actor, requestId } : actor;
};


/** The ADMIN_USERS user behind the request (a session or a personal token), or null (ADMIN_TOKEN, basic, open). */
export const ownerOf = (res: Response): { name: string; role: AdminRole } | null =>
  (res.locals['owner'] as { name: string; role: AdminRole } | undefined) ?? null;

/** How the request authenticated (set by requireAdmin). */
export const credentialOf = (res: Response): Credential | null => (res.locals['credential'] as Credential | undefined) ?? null;

/** The authenticated role of the request (set by requireAdmin); null on a signed link alone. */
export const roleOf = (res: Response): AdminRole | null => (res.locals['role'] as AdminRole | undefined) ?? null;

/** 403 naming the role needed, or null when the request's role is at least `needed`. */
export const roleRequired = (res: Response, needed: AdminRole): MappedError | null => {
  const role = roleOf(res);
  if (role && roleAtLeast(role, needed)) return null;
  return {
    status: 403,
    body: { code: 'role_required', message: `This needs the ${needed} role${role ? `; you are signed in as ${role}` : ''}.` },
  };
};

/** Route guard: lets the request through only when its role may do `action` (the table in admin-roles.ts). */
export const allow =
  (action: AdminAction): RequestHandler =>
  (req, res, next) => {
    const refusal = roleRequired(res, ACTION_ROLES[action]);
    if (refusal) return void sendError(req, res, refusal);
    next();
  };

/** Records who acts (services get the actor, routes the role) and runs the rest of the request in its page context. */
const proceedAs = (identity: Identity, res: Response, next: () => void): void => {
  res.locals['actor'] = identity.actor;
  res.locals['role'] = identity.role;
  res.locals['credential'] = identity.via;
  if (identity.owner) res.locals['owner'] = identity.owner;
  const user = identity.via === 'session' ? (identity.actor.kind === 'user' ? (identity.actor.name ?? identity.actor.id) : null) : null;
  runWithPageContext({ user, role: identity.role, csrf: identity.csrf ?? null }, next);
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Form posts are small; parsed only after the sender is authenticated. */
const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });

/** The session's synchronizer token from the X-CSRF-Token header or a form's `_csrf` field. */
const csrfGiven = async (req: Request, res: Response): Promise<string> => {
  const header = req.get('x-csrf-token');
  if (header) return header;
  if (!req.is('application/x-www-form-urlencoded')) return '';
  await new Promise<void>((resolve, reject) => void formBody(req, res, (e?: unknown) => (e ? reject(e) : resolve())));
  const body = req.body as Record<string, unknown> | undefined;
  return typeof body?.['_csrf'] === 'string' ? body['_csrf'] : '';
};

/**
 * Admin access for `publicUrl`'s server: refuses (403 JSON on /api) a foreign Host in the open mode
 * (`host_not_allowed`) and a state change by an ambient credential without a same-origin proof (`cross_site_request`).
 */
export const requireAdmin =
  (auth: AdminAuth, publicUrl: string): RequestHandler =>
  async (req, res, next) => {
    if (openMode(auth) && isLoopback(req.socket.remoteAddress) && !hostAllowed(req.get('host'), publicUrl)) {
      const message = `Host \`${hostNameOf(req.get('host')) ?? '(none)'}\` is not allowed without admin credentials: use localhost, 127.0.0.1, [::1] or the host of PUBLIC_URL.`;
      sendError(req, res, { status: 403, body: { code: 'host_not_allowed', message } });
      return;
    }
    const identity = await identify(auth, req);
    if (!identity) {
      refuse(auth, req, res);
      return;
    }
    if (identity.via !== 'bearer' && identity.via !== 'token' && STATE_CHANGING.has(req.method) && !sameOrigin(req, publicUrl)) {
      sendError(req, res, {
        status: 403,
        body: {
          code: 'cross_site_request',
          message:
            'State-changing requests need proof they come from this site: a same-origin Origin or Sec-Fetch-Site header, ' +
            `or a bearer token (ADMIN_TOKEN). Scripts may send \`Origin: ${new URL(publicUrl).origin}\`.`,
        },
      });
      return;
    }
    if (identity.csrf && !SAFE_METHODS.has(req.method) && !safeEqual(await csrfGiven(req, res), identity.csrf)) {
      sendError(req, res, {
        status: 403,
        body: { code: 'csrf_failed', message: 'The form was stale or not sent from this site (CSRF token missing or wrong); reload the page and try again.' },
      });
      return;
    }
    proceedAs(identity, res, next);
  };

const LINK_PROBLEMS = {
  expired: 'This link has expired. Ask for a fresh one (run the command again in Slack) or log in to view the page.',
  invalid: 'This link was altered or is not valid. Use the link exactly as it was posted, or log in to view the page.',
} as const;

/**
 * For pages that may be opened from a signed link: `exp` + `sig` for exactly this path grant access;
 * a tampered or expired signature is refused with a page that says so; no signature means a normal login.
 */
export const signedLinkOrAdmin = (links: LinkSigner, auth: AdminAuth, publicUrl: string): RequestHandler => {
  const admin = requireAdmin(auth, publicUrl);
  return (req, res, next) => {
    const path = new URL(req.originalUrl, 'http://x').pathname;
    const verdict = links.verify(path, req.query['exp'], req.query['sig']);
    if (verdict === 'missing') {
      void admin(req, res, next);
      return;
    }
    if (verdict === 'ok') {
      res.locals['signedLink'] = true;
      // A signed-in viewer of a signed link still sees the buttons their role allows.
      void identify(auth, req).then((identity) => {
        if (identity) proceedAs(identity, res, next);
        else next();
      }, next);
      return;
    }
    res
      .status(403)
      .type('html')
      .send(
        layout({
          title: 'Link not valid',
          body: html`<h1>${verdict === 'expired' ? 'Link expired' : 'Link not valid'}</h1>
<div class="alert">${LINK_PROBLEMS[verdict]}</div>
<p><a href="${path}">Open this page with your admin login</a></p>`,
        }).value,
      );
  };
};
