/**
 * `/tokens`: a signed-in user's personal API tokens — create one (name, role up to their own, optional expiry; the
 * secret is shown once, on the answer page), list them (never the secret), revoke one (at once, in every process).
 */
import express, { Router, type Request, type Response } from 'express';
import { ADMIN_ROLES, roleAtLeast, type AdminRole } from '../../domain/admin-roles.js';
import { DistroError, ValidationError } from '../../domain/errors.js';
import type { ApiToken } from '../../domain/api-token.js';
import type { Services } from '../../services/services.js';
import { allow, ownerOf, actorOf, requireAdmin, type AdminAuth } from '../auth.js';
import { mapError } from '../error-mapping.js';
import { html, type SafeHtml } from '../html.js';
import { actionButton, csrfField, fieldErrorsOf, formAlert, input, select, type FieldErrors } from './forms/form-parts.js';
import { formatDate, layout } from './layout.js';
import { redirectWithNote } from './result-note.js';

interface TokensPageData {
  owner: { name: string; role: AdminRole };
  tokens: ApiToken[];
  /** The secret just created: shown this once. */
  created?: { name: string; secret: string };
  values?: { name: string; role: string; expiresInDays: string };
  errors?: FieldErrors;
  alerts?: string[];
  publicUrl: string;
}

const tokenRow = (t: ApiToken): SafeHtml =>
  html`<tr><td><strong>${t.name}</strong></td><td>${t.role}</td><td>${formatDate(t.createdAt)}</td><td>${t.expiresAt ? formatDate(t.expiresAt) : 'never'}</td>
<td>${t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never used'}</td><td>${actionButton(`/tokens/${t.id}/revoke`, 'Revoke', {}, 'danger')}</td></tr>`;

export const renderTokensPage = (d: TokensPageData): SafeHtml => {
  const v = d.values ?? { name: '', role: d.owner.role, expiresInDays: '90' };
  const roles = ADMIN_ROLES.filter((r) => roleAtLeast(d.owner.role, r));
  return layout({
    title: 'API tokens',
    body: html`<h1>API tokens</h1>
<p class="sub">Personal tokens for scripts and the <code>distro</code> CLI. A token acts as you, with at most your role; changes made with it are audited under your name and the token's. Send it as <code>Authorization: Bearer …</code>.</p>
${
  d.created
    ? html`<div class="ok-note" role="status"><p>Token <strong>${d.created.name}</strong> created. Copy it now: it is not shown again.</p>
<p><code id="new-token">${d.created.secret}</code></p>
<p>CLI: <code>distro login --url ${d.publicUrl} --token ${d.created.secret}</code></p></div>`
    : ''
}
<div class="card"><h2>New token</h2>
<form method="post" action="/tokens">${csrfField()}${formAlert(d.alerts ?? [])}
${input({ name: 'name', label: 'Name', value: v.name, errors: d.errors ?? {}, required: true, placeholder: 'nightly report', hint: 'What uses it, so you know what to revoke.' })}
${select({ name: 'role', label: 'Role', value: v.role, options: roles.map((r) => [r, r] as [string, string]), errors: d.errors ?? {} })}
${input({ name: 'expiresInDays', label: 'Expires after (days)', value: v.expiresInDays, type: 'number', errors: d.errors ?? {}, hint: 'Empty: never expires.' })}
<p><button type="submit" class="primary">Create token</button></p>
</form></div>
<h2>Your tokens</h2>
${
  d.tokens.length
    ? html`<table id="tokens"><thead><tr><th>Name</th><th>Role</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead><tbody>
${d.tokens.map(tokenRow)}
</tbody></table>`
    : html`<p class="empty">No tokens yet.</p>`
}`,
  });
};

const formBody = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

const field = (req: Request, key: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : '';
};

const NEEDS_USER =
  'API tokens belong to signed-in users (ADMIN_USERS). Sign in at /login with your name; ADMIN_TOKEN, basic auth and the open mode have no tokens.';

export const tokensPages = (deps: { services: Services; auth: AdminAuth; publicUrl: string }): Router => {
  const { services } = deps;
  const router = Router();
  const admin = requireAdmin(deps.auth, deps.publicUrl);
  const send = (res: Response, page: SafeHtml, status = 200) => void res.status(status).type('html').send(page.value);
  const ownerOrExplain = (res: Response) => {
    const owner = ownerOf(res);
    if (!owner) send(res, layout({ title: 'API tokens', body: html`<h1>API tokens</h1><div class="alert">${NEEDS_USER}</div>` }), 403);
    return owner;
  };

  router.get('/tokens', admin, allow('read'), async (_req, res) => {
    const owner = ownerOrExplain(res);
    if (owner) send(res, renderTokensPage({ owner, tokens: await services.apiTokens.list(owner), publicUrl: deps.publicUrl }));
  });

  router.post('/tokens', admin, allow('token.create'), formBody, async (req, res) => {
    const owner = ownerOrExplain(res);
    if (!owner) return;
    const values = { name: field(req, 'name'), role: field(req, 'role'), expiresInDays: field(req, 'expiresInDays').trim() };
    try {
      const created = await services.apiTokens.create(owner, values, actorOf(res));
      // The secret is in this answer only: never cached, never in a URL.
      res.set('Cache-Control', 'no-store');
      send(res, renderTokensPage({ owner, tokens: await services.apiTokens.list(owner), created: { name: created.token.name, secret: created.secret }, publicUrl: deps.publicUrl }), 201);
    } catch (error) {
      if (!(error instanceof DistroError)) throw error;
      const { fields, other } = error instanceof ValidationError ? fieldErrorsOf(error.issues) : { fields: {}, other: [error.message] };
      send(
        res,
        renderTokensPage({ owner, tokens: await services.apiTokens.list(owner), values, errors: fields, alerts: other, publicUrl: deps.publicUrl }),
        mapError(error).status,
      );
    }
  });

  router.post('/tokens/:id/revoke', admin, allow('token.revoke'), formBody, async (req, res) => {
    const owner = ownerOrExplain(res);
    if (!owner) return;
    await services.apiTokens.revoke(owner, String(req.params['id']), actorOf(res));
    redirectWithNote(res, '/tokens', 'Token revoked.');
  });

  return router;
};
