/**
 * Building blocks of the pages' forms: the CSRF field, labelled inputs with their error inline, buttons that post
 * one action, and the signed-in bar. Semantic markup with few classes, so the shared stylesheet applies.
 */
import { html, withInlineCode, type SafeHtml } from '../../html.js';
import { pageContext } from '../page-context.js';

/** The session's synchronizer token; nothing when the request needs none (token, basic auth, open mode). */
export const csrfField = (): SafeHtml => {
  const { csrf } = pageContext();
  return csrf ? html`<input type="hidden" name="_csrf" value="${csrf}">` : html``;
};

/** Field name → problem, from a ValidationError's `field: problem` issues (`upstream.url: …` → `upstream.url`). */
export type FieldErrors = Record<string, string>;

export const fieldErrorsOf = (issues: readonly string[]): { fields: FieldErrors; other: string[] } => {
  const fields: FieldErrors = Object.create(null) as FieldErrors;
  const other: string[] = [];
  for (const issue of issues) {
    const colon = issue.indexOf(': ');
    // A list item's problem (`modules.3: …`) belongs to the list's field.
    const field = colon > 0 ? issue.slice(0, colon).replace(/(\.\d+)+$/, '') : '';
    if (field && /^[a-zA-Z.]+$/.test(field) && !(field in fields)) fields[field] = issue.slice(colon + 2);
    else other.push(issue);
  }
  return { fields, other };
};

export interface InputOptions {
  name: string;
  label: string;
  value?: string | null;
  errors?: FieldErrors;
  type?: 'text' | 'password' | 'number' | 'url';
  hint?: string;
  required?: boolean;
  placeholder?: string;
  autocomplete?: string;
}

const fieldId = (name: string): string => `f-${name.replace(/[^a-zA-Z0-9]/g, '-')}`;

/** A labelled input; its error (if any) right under it, tied to it with aria-describedby. */
export const input = (o: InputOptions): SafeHtml => {
  const id = fieldId(o.name);
  const error = o.errors?.[o.name];
  return html`<p class="field${error ? ' invalid' : ''}"><label for="${id}">${o.label}</label>
<input id="${id}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${o.required ? html` required` : ''}${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
${o.hint ? html`<small>${o.hint}</small>` : ''}${error ? html`<strong class="error" id="${id}-error">${error}</strong>` : ''}</p>`;
};

export const select = (o: { name: string; label: string; value: string; options: [string, string][]; errors?: FieldErrors }): SafeHtml => {
  const id = fieldId(o.name);
  const error = o.errors?.[o.name];
  return html`<p class="field${error ? ' invalid' : ''}"><label for="${id}">${o.label}</label>
<select id="${id}" name="${o.name}">${o.options.map(([v, l]) => html`<option value="${v}"${v === o.value ? html` selected` : ''}>${l}</option>`)}</select>
${error ? html`<strong class="error" id="${id}-error">${error}</strong>` : ''}</p>`;
};

export const checkbox = (o: { name: string; label: string; checked: boolean }): SafeHtml =>
  html`<p class="field"><label><input type="checkbox" name="${o.name}" value="on"${o.checked ? html` checked` : ''}> ${o.label}</label></p>`;

/** A form that posts one action with one button (and optional hidden fields). */
export const actionButton = (action: string, label: string, hidden: Record<string, string> = {}, kind: 'primary' | 'danger' | '' = ''): SafeHtml =>
  html`<form method="post" action="${action}" class="inline">${csrfField()}${Object.entries(hidden).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit"${kind ? html` class="${kind}"` : ''}>${label}</button></form>`;

/** Errors the form could not place next to a field (or a refusal from the service), at the top of the form. */
export const formAlert = (messages: readonly string[]): SafeHtml =>
  messages.length ? html`<div class="alert" role="alert">${messages.map((m, i) => html`${i ? html`<br>` : ''}${withInlineCode(m)}`)}</div>` : html``;

/** Who is signed in, and the logout button (only for sign-in sessions). */
export const userBar = (): SafeHtml => {
  const { user, role } = pageContext();
  if (!user) return html``;
  return html`<span class="user">Signed in as <strong>${user}</strong> (${role}) · <a href="/sessions">Sessions</a> · <a href="/tokens">API tokens</a></span>${actionButton('/logout', 'Log out')}`;
};
