/** `DELETE /api/users/me/sessions` and `DELETE /api/users/<name>/sessions`: sign out everywhere (see sign-out-everywhere.ts). */
import { apiRoutes, type ApiRoutes } from './route-table.js';
import { ValidationError } from '../../domain/errors.js';
import type { Services } from '../../services/services.js';
import { actorOf, type AdminAuth } from '../auth.js';
import { pageContext } from '../pages/page-context.js';
import { signOutEverywhere } from '../session/sign-out-everywhere.js';

export const usersApi = (services: Services, auth: AdminAuth): ApiRoutes => {
  const router = apiRoutes();
  router.delete('/me/sessions', async (_req, res) => {
    const me = pageContext().user;
    if (!me) throw new ValidationError('Only a signed-in user has sessions to end; name the user instead.', ['user: the request is not a signed-in session']);
    const ended = await signOutEverywhere(auth.sessions, services, me, actorOf(res));
    auth.sessions?.clearCookie(res);
    res.json({ user: me, ended });
  });
  router.delete('/:name/sessions', async (req, res) => {
    const user = String(req.params['name']);
    res.json({ user, ended: await signOutEverywhere(auth.sessions, services, user, actorOf(res)) });
  });
  return router;
};
