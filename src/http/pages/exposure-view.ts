/**
 * Security exposure on the admin pages, as HTML fragments the entity pages embed (dashboard first, distribution,
 * platform and site pages) and the page of one advisory event (opened from its Slack announcement).
 */
import type { AdvisoryEvent } from '../../domain/advisory-feed.js';
import type { ExposedPackage } from '../../domain/exposure.js';
import type { DistributionExposure, EventAssessment, FeedStatus } from '../../services/advisory-service.js';
import { plural } from '../../lib/plural.js';
import { html, type SafeHtml } from '../html.js';
import { badge, formatDate, layout } from './layout.js';
import { distributionHref, platformHref, siteHref } from './links.js';

const advisoryHref = (eventId: string): string => `/advisories/${encodeURIComponent(eventId)}`;

const feedsLine = (feeds: FeedStatus[]): SafeHtml =>
  html`<p class="sub" id="advisory-feeds">${
    feeds.length
      ? feeds.map(
          (f, i) =>
            html`${i ? ' · ' : ''}Advisories ${f.label}: ${
              f.snapshot ? html`commit <code>${f.snapshot.commit.replace(/^sha256:/, '').slice(0, 10)}</code> (${f.snapshot.packages} packages, ${formatDate(f.snapshot.fetchedAt)})` : 'no snapshot yet'
            }${f.lastError ? html` ${badge('failed', 'last poll refused')} ${f.lastError}` : ''}`,
        )
      : 'Advisories: the bundled map (no feed configured).'
  }</p>`;

const packageList = (packages: readonly Pick<ExposedPackage, 'name' | 'version'>[]): SafeHtml =>
  html`${packages.map((p, i) => html`${i ? ', ' : ''}<code>${p.name}</code> ${p.version}`)}`;

/** The dashboard's first section: exposed sites per distribution and whether the target fixes them. */
export const exposureSummaryFragment = (summary: DistributionExposure[], feeds: FeedStatus[], events: AdvisoryEvent[]): SafeHtml => {
  const exposed = summary.filter((s) => s.exposedSites > 0);
  return html`<section id="exposure"><h1>Security exposure</h1>
${
  exposed.length
    ? html`<table><thead><tr><th>Distribution</th><th class="num">Exposed sites</th><th>Packages</th><th>Way out</th></tr></thead><tbody>
${exposed.map(
  (s) => html`<tr><td><a href="${distributionHref(s.distribution.slug)}">${s.distribution.title}</a></td><td class="num">${badge('failed', `${s.exposedSites} / ${s.totalSites}`)}</td>
<td>${s.packages.map((p, i) => html`${i ? ', ' : ''}<code>${p.name}</code> (${p.sites})`)}</td>
<td class="prose">${!s.target ? 'no upgrade target' : s.targetExposed.length ? html`the target <a href="${platformHref(s.target.name)}">${s.target.name}</a> still has ${packageList(s.targetExposed)}` : html`the target <a href="${platformHref(s.target.name)}">${s.target.name}</a> fixes them`}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No site runs a version covered by a security advisory.</p>`
}
${feedsLine(feeds)}
${events.length ? html`<p class="sub">Recent advisory updates: ${events.map((e, i) => html`${i ? ' · ' : ''}<a href="${advisoryHref(e.id)}">${e.at.toISOString().slice(0, 10)} (${e.changes.length} packages)</a>`)}</p>` : ''}
</section>`;
};

/** A distribution's, platform's or site's exposed packages (empty when none). */
export const exposedPackagesFragment = (what: string, packages: readonly ExposedPackage[], sites?: readonly string[]): SafeHtml =>
  html`<section id="exposure"><h2>Security exposure</h2>${
    packages.length
      ? html`<div class="card">${badge('failed', 'exposed')} ${what} runs versions covered by a security advisory: ${packageList(packages)}${
          sites?.length ? html`<br>Exposed sites: ${sites.map((s, i) => html`${i ? ', ' : ''}<a href="${siteHref(s)}">${s}</a>`)}` : ''
        }</div>`
      : html`<p class="empty">No package of ${what} is covered by a security advisory.</p>`
  }</section>`;

/** One advisory event: what changed and, per distribution, the exposed sites and the way out. */
export const renderAdvisoryEventPage = (event: AdvisoryEvent, assessments: EventAssessment[]): SafeHtml =>
  layout({
    title: `Security advisory update ${event.at.toISOString().slice(0, 10)}`,
    body: html`<h1>Security advisory update</h1>
<p class="sub">Feed commit <code>${event.commit}</code>, recorded ${formatDate(event.at)}${event.initial ? ' (the first snapshot: a baseline)' : ''}.</p>
<h2>Changed packages (${event.changes.length})</h2>
<details class="diff"><summary>${event.changes.length} packages</summary><table><thead><tr><th>Package</th><th>Before</th><th>After</th></tr></thead><tbody>
${event.changes.map((c) => html`<tr><td><code>${c.name}</code></td><td class="mono">${c.before ?? '—'}</td><td class="mono">${c.after ?? '(removed)'}</td></tr>`)}
</tbody></table></details>
<h2>Exposed sites</h2>
${
  assessments.length
    ? assessments.map(
        (a) => html`<div class="card"><strong><a href="${distributionHref(a.distribution.slug)}">${a.distribution.title}</a></strong>: ${plural(a.exposedSites, 'site')} newly exposed (${a.packages.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}).
${a.fix ? html`The target <a href="${platformHref(a.fix.platform.name)}">${a.fix.platform.name}</a> fixes it.` : 'No platform of this distribution fixes it yet.'}
<ul>${a.platforms.map((r) => html`<li><a href="${platformHref(r.platform.name)}">${r.platform.name}</a> (${packageList(r.packages)}): ${r.sites.map((s, i) => html`${i ? ', ' : ''}<a href="${siteHref(s.name)}">${s.name}</a>`)}</li>`)}</ul></div>`,
      )
    : html`<p class="empty">This update newly exposes none of our sites (sites it still covers were exposed before; the exposure list has them).</p>`
}`,
  });
