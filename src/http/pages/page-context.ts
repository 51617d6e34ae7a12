/**
 * Who is looking at a page, for the views: the signed-in user (top bar, logout), their role (which buttons to
 * show) and the session's CSRF token (hidden field of every form). Carried per request in AsyncLocalStorage, so
 * view functions need no extra parameter; outside a request (or on a signed link alone) it is READ_ONLY.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { roleAllows, type AdminAction, type AdminRole } from '../../domain/admin-roles.js';

export interface PageContext {
  /** The signed-in user's name; null for the token, basic auth, the open mode or a signed link. */
  user: string | null;
  /** null: nothing may be changed (a signed link without a login). */
  role: AdminRole | null;
  /** The session's synchronizer token; null when the request needs none (not a cookie session). */
  csrf: string | null;
}

const READ_ONLY: PageContext = { user: null, role: null, csrf: null };
const storage = new AsyncLocalStorage<PageContext>();

export const runWithPageContext = <T>(context: PageContext, fn: () => T): T => storage.run(context, fn);

export const pageContext = (): PageContext => storage.getStore() ?? READ_ONLY;

/** Whether the page's viewer may do `action` (buttons and forms are shown only then). */
export const may = (action: AdminAction): boolean => {
  const { role } = pageContext();
  return role !== null && roleAllows(role, action);
};
