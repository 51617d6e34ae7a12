import type { HttpErrorBody } from '../error-mapping.js';
import { html, withInlineCode, type SafeHtml } from '../html.js';
import { layout } from './layout.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Login required',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  422: 'Not possible',
  503: 'Temporarily unavailable',
};

export const renderErrorPage = (status: number, error: Pick<HttpErrorBody, 'message' | 'issues' | 'suggestion'>): SafeHtml =>
  layout({
    title: TITLES[status] ?? 'Error',
    body: html`<h1>${TITLES[status] ?? 'Something went wrong'}</h1>
<p class="sub">HTTP ${status}</p>
<div class="alert">${withInlineCode(error.message)}</div>
${error.issues?.length ? html`<ul>${error.issues.map((i) => html`<li>${withInlineCode(i)}</li>`)}</ul>` : ''}
<p><a href="/">Back to the dashboard</a></p>`,
  });
