/**
 * Admin authentication: a bearer token or HTTP basic credentials. With neither configured (the embedded
 * development default) access is allowed, but only from the machine itself.
 * Pages posted to Slack carry a signed, expiring link instead (LinkSigner), so a click needs no login.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Actor } from '../domain/actor.js';
import type { LinkSigner } from '../services/link-signer.js';
import { sendError } from './error-mapping.js';
import { html } from './html.js';
import { layout } from './pages/layout.js';

export interface AdminAuth {
  token: string | null;
  user: string | null;
  password: string | null;
}

export const ADMIN_ACTOR: Actor = { kind: 'user', id: 'admin' };

/** Hash first so both sides have equal length and the comparison time says nothing about the secret. */
const safeEqual = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

export const isLoopback = (address: string | undefined): boolean =>
  !!address && (address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address));

const basicEnabled = (auth: AdminAuth): auth is AdminAuth & { user: string; password: string } =>
  auth.user !== null && auth.password !== null;

/** The actor the credentials prove, null when they prove nothing, or 'open' for the loopback-only default. */
export const authenticate = (auth: AdminAuth, req: Request): Actor | null => {
  const header = req.get('authorization') ?? '';
  if (!auth.token && !basicEnabled(auth)) return isLoopback(req.socket.remoteAddress) ? ADMIN_ACTOR : null;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer && auth.token && safeEqual(bearer[1]!.trim(), auth.token)) return ADMIN_ACTOR;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic && basicEnabled(auth)) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const user = decoded.slice(0, colon);
      // Evaluate both so a wrong user name takes as long as a wrong password.
      const userOk = safeEqual(user, auth.user);
      const passwordOk = safeEqual(decoded.slice(colon + 1), auth.password);
      if (userOk && passwordOk) return { kind: 'user', id: user, name: user };
    }
  }
  return null;
};

const refuse = (auth: AdminAuth, req: Request, res: Response): void => {
  if (!auth.token && !basicEnabled(auth)) {
    sendError(req, res, {
      status: 403,
      body: { code: 'forbidden', message: 'Admin access without ADMIN_TOKEN or ADMIN_USER/ADMIN_PASSWORD is only allowed from localhost.' },
    });
    return;
  }
  // Basic lets a browser prompt for credentials on pages; API clients are told about both schemes.
  res.set('WWW-Authenticate', basicEnabled(auth) ? 'Basic realm="Distro", charset="UTF-8"' : 'Bearer realm="Distro"');
  sendError(req, res, { status: 401, body: { code: 'unauthorized', message: 'Authentication required: a bearer token or basic credentials.' } });
};

export const actorOf = (res: Response): Actor => (res.locals['actor'] as Actor | undefined) ?? ADMIN_ACTOR;

export const requireAdmin =
  (auth: AdminAuth): RequestHandler =>
  (req, res, next) => {
    const actor = authenticate(auth, req);
    if (!actor) {
      refuse(auth, req, res);
      return;
    }
    res.locals['actor'] = actor;
    next();
  };

const LINK_PROBLEMS = {
  expired: 'This link has expired. Ask for a fresh one (run the command again in Slack) or log in to view the page.',
  invalid: 'This link was altered or is not valid. Use the link exactly as it was posted, or log in to view the page.',
} as const;

/**
 * For pages that may be opened from a signed link: `exp` + `sig` for exactly this path grant access;
 * a tampered or expired signature is refused with a page that says so; no signature means a normal login.
 */
export const signedLinkOrAdmin = (links: LinkSigner, auth: AdminAuth): RequestHandler => {
  const admin = requireAdmin(auth);
  return (req, res, next) => {
    const path = new URL(req.originalUrl, 'http://x').pathname;
    const verdict = links.verify(path, req.query['exp'], req.query['sig']);
    if (verdict === 'missing') {
      admin(req, res, next);
      return;
    }
    if (verdict === 'ok') {
      res.locals['signedLink'] = true;
      next();
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
