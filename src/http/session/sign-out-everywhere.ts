/**
 * "Sign out everywhere": ending every session of an account at once, in every process. Anyone signed in may do it
 * for themselves; an admin may do it for any ADMIN_USERS user (a lost laptop, a leaver). Audited
 * (`user.sign-out-everywhere`), guarded by the role table, CSRF-checked like every form. The same for the API
 * (`DELETE /api/users/me/sessions`, `DELETE /api/users/<name>/sessions`) lives in src/http/api/users.ts.
 */
import { Router } from 'express';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { Actor } from '../../domain/actor.js';
import type { Services } from '../../services/services.js';
import { allow, actorOf, requireAdmin, type AdminAuth } from '../auth.js';
import { html } from '../html.js';
import { actionButton } from '../pages/forms/form-parts.js';
import { layout } from '../pages/layout.js';
import { may, pageContext } from '../pages/page-context.js';
import type { SessionManager } from './session-manager.js';
import { redirectWithNote } from '../pages/result-note.js';

/** Ends every session of `user` and records it; returns how many ended. */
export const signOutEverywhere = async (sessions: SessionManager | null | undefined, services: Services, user: string, actor: Actor): Promise<number> => {
  if (!sessions?.enabled) throw new ValidationError('Sessions are not enabled (no ADMIN_USERS).', ['user: no sign-in users are configured']);
  if (!sessions.hasUser(user)) throw new NotFoundError('user', user);
  const ended = await sessions.endAllSessions(user);
  await services.audit.record({ actor, action: 'user.sign-out-everywhere', subject: { kind: 'user', id: user, name: user }, details: { sessions: ended } });
  return ended;
};

export const signOutEverywhereRoutes = (deps: { auth: AdminAuth; publicUrl: string; services: Services }): Router => {
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);
  const sessions = () => deps.auth.sessions ?? null;

  router.get('/sessions', admin, async (_req, res) => {
    const manager = sessions();
    const me = pageContext().user;
    const counts = manager ? await manager.sessionCounts() : {};
    const everyone = may('user.sign-out-everywhere') && manager ? manager.userNames : [];
    const body = html`<h1>Sessions</h1>
${me
  ? html`<section><h2>Your sessions</h2><p>You are signed in to <strong>${counts[me] ?? 0}</strong> session(s), this one included.</p>
${actionButton('/sessions/sign-out-everywhere', 'Sign out everywhere', {}, 'danger')}</section>`
  : html`<p>Sessions belong to users who sign in at <a href="/login">/login</a> (ADMIN_USERS).</p>`}
${everyone.length
  ? html`<section><h2>All users</h2><div class="table-scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Sessions</th><th scope="col"></th></tr></thead><tbody>
${everyone.map(
  (u) => html`<tr><td>${u}</td><td>${counts[u] ?? 0}</td><td>${actionButton(`/users/${encodeURIComponent(u)}/sign-out-everywhere`, `Sign ${u} out everywhere`, {}, 'danger')}</td></tr>`,
)}</tbody></table></div></section>`
  : html``}`;
    res.type('html').send(layout({ title: 'Sessions', body }).value);
  });

  router.post('/sessions/sign-out-everywhere', admin, allow('account.sign-out-everywhere'), async (_req, res) => {
    const me = pageContext().user;
    if (!me) throw new ValidationError('Only a signed-in user has sessions to end.', ['user: not signed in with a session']);
    await signOutEverywhere(sessions(), deps.services, me, actorOf(res));
    sessions()?.clearCookie(res);
    redirectWithNote(res, '/login', 'Signed out everywhere: every session of yours has ended.');
  });

  router.post('/users/:name/sign-out-everywhere', admin, allow('user.sign-out-everywhere'), async (req, res) => {
    const user = String(req.params['name']);
    await signOutEverywhere(sessions(), deps.services, user, actorOf(res));
    if (user === pageContext().user) {
      sessions()?.clearCookie(res);
      return redirectWithNote(res, '/login', 'Signed out everywhere: every session of yours has ended.');
    }
    redirectWithNote(res, '/sessions', `Signed ${user} out everywhere.`);
  });
  return router;
};
