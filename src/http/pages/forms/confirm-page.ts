/** The confirmation step of destructive actions: a page with one POST button, so it works without JavaScript. */
import { html, type SafeHtml } from '../../html.js';
import { layout } from '../layout.js';
import { actionButton } from './form-parts.js';

export interface ConfirmOptions {
  title: string;
  /** What will happen, in a sentence or two. */
  question: SafeHtml | string;
  action: string;
  button: string;
  back: string;
  hidden?: Record<string, string>;
  danger?: boolean;
}

export const renderConfirmPage = (o: ConfirmOptions): SafeHtml =>
  layout({
    title: o.title,
    body: html`<h1>${o.title}</h1>
<div class="card" id="confirm"><p>${o.question}</p>
<div class="actions">${actionButton(o.action, o.button, o.hidden ?? {}, o.danger === false ? 'primary' : 'danger')}<a href="${o.back}">No, go back</a></div></div>`,
  });
