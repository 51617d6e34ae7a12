/**
 * /login and /logout. The login form has no session yet, so its CSRF defence is the same-origin proof
 * (Sec-Fetch-Site or Origin): another site cannot sign a browser in as someone else (login CSRF).
 */
import express, { Router, type Request, type Response } from 'express';
import { localPath, requireAdmin, sameOrigin, type AdminAuth } from '../auth.js';
import { sendError } from '../error-mapping.js';
import { renderLoginPage } from '../pages/login-page.js';
import { BUSY_RETRY_AFTER_S } from './session-manager.js';

const BUSY_TEXT = 'Too many sign-ins at once; try again in a few seconds.';
const formBody = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });
const field = (req: Request, key: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : '';
};

export const loginRoutes = (auth: AdminAuth, publicUrl: string): Router => {
  const router = Router();
  const sessions = auth.sessions?.enabled ? auth.sessions : null;
  const page = (res: Response, status: number, o: { next: string; user?: string; problem?: string }) =>
    void res.status(status).type('html').send(renderLoginPage({ ...o, enabled: sessions !== null }).value);

  router.get('/login', async (req, res) => {
    const next = localPath(req.query['next']);
    if (sessions && (await sessions.resolve(req))) return void res.redirect(303, next);
    page(res, 200, { next });
  });

  router.post('/login', (req, res, next) => {
    if (!sameOrigin(req, publicUrl)) {
      return void sendError(req, res, { status: 403, body: { code: 'cross_site_request', message: 'Sign in from this site’s own login page.' } });
    }
    // A flood is answered before its body is read, with a few bytes: the refusal must cost next to nothing.
    if (sessions?.busyFor(req)) {
      res.set({ 'Retry-After': String(BUSY_RETRY_AFTER_S), Connection: 'close' });
      return void res.status(429).type('text/plain').send(BUSY_TEXT);
    }
    formBody(req, res, next);
  });
  router.post('/login', async (req, res) => {
    const next = localPath(field(req, 'next'));
    const user = field(req, 'user').trim().toLowerCase().slice(0, 64);
    if (!sessions) return page(res, 404, { next });
    // req.ip: the socket address, or the client behind the proxies TRUST_PROXY names.
    const result = await sessions.login(user, field(req, 'password'), req.ip ?? req.socket.remoteAddress ?? '', sessions.deviceOf(req));
    if (result.ok) {
      sessions.setCookie(res, result.token);
      sessions.setDeviceCookie(res, result.user.name);
      return void res.redirect(303, next);
    }
    if (result.reason !== 'wrong') {
      res.set('Retry-After', String(result.retryAfter));
      const problem =
        result.reason === 'busy'
          ? BUSY_TEXT
          : `Too many failed attempts; try again in ${result.retryAfter < 60 ? `${result.retryAfter} s` : `${Math.ceil(result.retryAfter / 60)} min`}.`;
      return page(res, 429, { next, user, problem });
    }
    page(res, 401, { next, user, problem: 'Wrong user name or password.' });
  });

  // requireAdmin checks the session's CSRF token, so another site cannot log anyone out either.
  router.post('/logout', requireAdmin(auth, publicUrl), async (req, res) => {
    await sessions?.logout(req, res);
    res.redirect(303, '/login');
  });
  return router;
};
