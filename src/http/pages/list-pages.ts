/**
 * `/sites` and `/exposure`: plain paged lists reached from the top navigation. `/sites` filters by distribution,
 * platform, status and name (a GET form, so the filter stays in the URL); `/exposure` is the dashboard's exposure
 * list site by site. Pure views: the router loads the view models.
 */
import type { SiteExposureRow } from '../../services/advisory-service.js';
import type { SiteListFilter, SiteListView } from '../../services/view-service.js';
import { SITE_STATUSES } from '../../domain/site.js';
import { html, type SafeHtml } from '../html.js';
import { badge, layout } from './layout.js';
import { distributionHref, platformHref, siteHref } from './links.js';


export interface Paging {
  limit: number;
  offset: number;
  total: number;
  /** The query of this page without limit/offset, to build the previous and next links. */
  query: Record<string, string>;
}

const pager = (path: string, p: Paging): SafeHtml => {
  const link = (offset: number): string => `${path}?${new URLSearchParams({ ...p.query, limit: String(p.limit), offset: String(offset) })}`;
  const first = p.total ? p.offset + 1 : 0;
  const last = Math.min(p.offset + p.limit, p.total);
  return html`<p class="sub" id="pager">${first}–${last} of ${p.total}${p.offset > 0 ? html` · <a href="${link(Math.max(0, p.offset - p.limit))}" rel="prev">← Previous</a>` : ''}${
    last < p.total ? html` · <a href="${link(p.offset + p.limit)}" rel="next">Next →</a>` : ''
  }</p>`;
};

const select = (name: string, label: string, values: readonly string[], current: string | undefined): SafeHtml =>
  html`<label>${label} <select name="${name}"><option value="">any</option>${values.map((v) => html`<option value="${v}"${v === current ? html` selected` : ''}>${v}</option>`)}</select></label>`;

export const renderSiteList = (v: SiteListView, filter: SiteListFilter, paging: Paging): SafeHtml =>
  layout({
    title: 'Sites',
    body: html`<h1>Sites</h1>
<form class="controls" method="get" action="/sites">
${select('distribution', 'Distribution', v.distributions, filter.distribution)}
${select('platform', 'Platform', v.platforms, filter.platform)}
${select('status', 'Status', SITE_STATUSES, filter.status)}
<label>Name <input type="search" name="q" value="${filter.q ?? ''}" maxlength="253" placeholder="example.org"></label>
<button type="submit">Filter</button>
<span class="count"><a href="/sites.csv">Download CSV (all sites)</a></span>
</form>
${
  v.rows.length
    ? html`<table id="sites"><thead><tr><th>Site</th><th>Status</th><th>Platform</th><th>Distribution</th></tr></thead><tbody>
${v.rows.map(
  (r) => html`<tr><td><a href="${siteHref(r.site.name)}">${r.site.name}</a></td><td>${badge(r.site.status)}</td>
<td>${r.platform ? html`<a href="${platformHref(r.platform)}">${r.platform}</a>` : '—'}</td><td>${r.distribution ? html`<a href="${distributionHref(r.distribution)}">${r.distribution}</a>` : '—'}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No site matches.</p>`
}
${pager('/sites', paging)}`,
  });

export const renderExposureList = (rows: SiteExposureRow[], distributions: string[], distribution: string | undefined, paging: Paging): SafeHtml =>
  layout({
    title: 'Security exposure',
    body: html`<h1>Security exposure</h1>
<p class="sub">Sites running versions covered by a security advisory in force, with the packages; the way out per distribution is on the dashboard.</p>
<form class="controls" method="get" action="/exposure">
${select('distribution', 'Distribution', distributions, distribution)}
<button type="submit">Filter</button>
</form>
${
  rows.length
    ? html`<table id="exposure-list"><thead><tr><th>Site</th><th>Platform</th><th>Distribution</th><th>Packages</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr><td><a href="${siteHref(r.site.name)}">${r.site.name}</a></td><td><a href="${platformHref(r.platform.name)}">${r.platform.name}</a></td>
<td><a href="${distributionHref(r.distribution.slug)}">${r.distribution.slug}</a></td><td>${r.packages.map((p, i) => html`${i ? ', ' : ''}<code>${p.name}</code> ${p.version}`)}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No site runs a version covered by a security advisory.</p>`
}
${pager('/exposure', paging)}`,
  });
