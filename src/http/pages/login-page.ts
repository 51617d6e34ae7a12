/** The sign-in page of ADMIN_USERS users. */
import { html, type SafeHtml } from '../html.js';
import { formAlert, input } from './forms/form-parts.js';
import { layout } from './layout.js';

export const renderLoginPage = (o: { next: string; user?: string; problem?: string; enabled: boolean }): SafeHtml =>
  layout({
    title: 'Sign in',
    body: o.enabled
      ? html`<h1>Sign in</h1>
<form method="post" action="/login" class="card" id="login">
${formAlert(o.problem ? [o.problem] : [])}
<input type="hidden" name="next" value="${o.next}">
${input({ name: 'user', label: 'User name', value: o.user ?? '', required: true, autocomplete: 'username' })}
${input({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' })}
<button type="submit" class="primary">Sign in</button>
</form>`
      : html`<h1>Sign in</h1><p>No users are configured: set <code>ADMIN_USERS</code> (see <code>npm run admin:add-user</code>). Scripts use <code>ADMIN_TOKEN</code>.</p>`,
  });
