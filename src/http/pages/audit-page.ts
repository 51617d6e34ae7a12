/** `/audit`: the audit log as a page — filters, newest first, a link to the next (older) page and to the CSV export. */
import { describeActor } from '../../domain/actor.js';
import { AUDIT_ACTIONS, type AuditEntry, type AuditPage } from '../../domain/audit.js';
import { html, type SafeHtml } from '../html.js';
import { formatDate, layout } from './layout.js';

export interface AuditPageData {
  page: AuditPage;
  /** The filters as given (strings, echoed in the form). */
  filters: { actor?: string; action?: string; subject?: string; source?: string; since?: string; until?: string };
  /** URLs of the next page and of the CSV export of this page, built by the router. */
  nextHref: string | null;
  csvHref: string;
}

const SOURCES = ['slack', 'api', 'page', 'cli', 'poll', 'webhook', 'system'] as const;

const detailsText = (e: AuditEntry): string =>
  Object.entries(e.details)
    .map(([k, v]) => `${k}: ${v === null ? '—' : String(v)}`)
    .join(' · ');

const field = (name: string, label: string, value: string | undefined, placeholder: string): SafeHtml =>
  html`<label>${label} <input type="search" name="${name}" value="${value ?? ''}" placeholder="${placeholder}"></label>`;

const select = (name: string, label: string, values: readonly string[], current: string | undefined): SafeHtml =>
  html`<label>${label} <select name="${name}"><option value="">any</option>${values.map(
    (v) => html`<option value="${v}"${v === current ? html` selected` : ''}>${v}</option>`,
  )}</select></label>`;

export const renderAuditPage = (d: AuditPageData): SafeHtml =>
  layout({
    title: 'Audit log',
    body: html`<h1>Audit log</h1>
<p class="sub">Every change to targets, locks, pins, upgrades, rollbacks, tasks, policies, platforms and sites: who, when, from where, what. Newest first.</p>
<form class="controls" method="get" action="/audit">
${field('actor', 'Actor', d.filters.actor, 'U0123 or poll')}
${select('action', 'Action', AUDIT_ACTIONS, d.filters.action)}
${field('subject', 'Subject', d.filters.subject, 'site, platform or slug')}
${select('source', 'From', SOURCES, d.filters.source)}
${field('since', 'Since', d.filters.since, '2026-01-31')}
${field('until', 'Until', d.filters.until, '2026-02-28')}
<button type="submit">Filter</button>
<span class="count"><a href="${d.csvHref}">Download CSV</a></span>
</form>
${
  d.page.items.length
    ? html`<table id="audit"><thead><tr><th>When</th><th>Who</th><th>From</th><th>Action</th><th>Subject</th><th>Details</th></tr></thead><tbody>
${d.page.items.map(
  (e) => html`<tr><td>${formatDate(e.at)}</td><td>${describeActor(e.actor)} <code>${e.actorId}</code></td><td>${e.source}</td><td><code>${e.action}</code></td>
<td>${e.subject.kind} <strong>${e.subject.name}</strong></td><td>${detailsText(e)}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No entries match.</p>`
}
${d.nextHref ? html`<p><a href="${d.nextHref}" rel="next">Older entries →</a></p>` : ''}`,
  });
