/** The dashboard: what needs a human first (failures, insecure sites), then the fleet in pictures, then tasks. */
import { dashboardActions, dashboardEmptyText } from './forms/page-actions.js';
import type { Distribution } from '../../domain/distribution.js';
import { firstErrorLine } from '../../lib/first-error-line.js';
import { plural } from '../../lib/plural.js';
import type { DashboardView, DistributionCard, Rollout } from '../../services/view-service.js';
import { html, type SafeHtml } from '../html.js';
import { barChart } from './charts/bar-chart.js';
import { progressBar } from './charts/progress-bar.js';
import { securityBar } from './charts/security-bar.js';
import { DASHBOARD_REFRESH_SECONDS, failedTaskList, pollStatus, taskTable } from './entity-pages.js';
import { badge, formatDate, layout } from './layout.js';
import { compareHref, distributionHref, platformHref, upgradeHref } from './links.js';
import { LIVE_SCRIPT } from './live-script.js';

const attention = (v: DashboardView): SafeHtml => {
  const a = v.attention;
  const items: SafeHtml[] = [];
  if (a.failedTasks.length) items.push(failedTaskList(a.failedTasks));
  if (a.failedBuilds.length) {
    items.push(html`<div class="card attention" id="failed-builds"><h3>${plural(a.failedBuilds.length, 'failed build')}</h3><ul>
${a.failedBuilds.map(
  (b) => html`<li><a href="${platformHref(b.platform.name)}">${b.platform.name}</a>${b.distribution ? html` (<a href="${distributionHref(b.distribution.slug)}">${b.distribution.slug}</a>)` : ''} · ${formatDate(b.platform.updatedAt)}<span class="err">${firstErrorLine(b.error)}</span></li>`,
)}</ul></div>`);
  }
  if (a.failedPolls.length) {
    items.push(html`<div class="card attention" id="failed-polls"><h3>${plural(a.failedPolls.length, 'upstream', 'upstreams')} failing</h3><ul>
${a.failedPolls.map((d) => html`<li><a href="${distributionHref(d.slug)}">${d.title}</a> · last poll ${pollStatus(d)}</li>`)}</ul></div>`);
  }
  if (a.insecure.length) {
    items.push(html`<div class="card attention" id="insecure-sites"><h3>Sites on insecure code</h3><ul>
${a.insecure.map(
  (i) => html`<li>${plural(i.sites, 'site')} on <a href="${platformHref(i.platform.name)}">${i.platform.name}</a>: ${i.packages.map((p, n) => html`${n ? ', ' : ''}<code>${p}</code>`)}
${i.fixes.length ? html` · ${badge('security-fixed', `${plural(i.fixes.length, 'security fix', 'security fixes')} waiting`)}${targetCompare(v, i.distribution, i.platform.name)}` : html` · ${badge('still-insecure', i.platform.id === i.distribution.targetPlatformId ? 'no fixed build yet' : 'not fixed in the target')}`}</li>`,
)}</ul></div>`);
  }
  return items.length
    ? html`${items}`
    : html`<p class="ok-note">Nothing needs attention: no failed tasks, builds or polls, and no site runs code with a known advisory.</p>`;
};

const targetCompare = (v: DashboardView, d: Distribution, from: string): SafeHtml | string => {
  const target = v.distributions.find((c) => c.distribution.id === d.id)?.target;
  return target ? html` <a href="${compareHref(from, target.name)}">compare with ${target.name}</a>` : '';
};

const rolloutCard = (r: Rollout): SafeHtml =>
  html`<div class="card"><a href="${upgradeHref(r.plan.id)}"><strong>${r.distribution?.title ?? 'Upgrade'} → ${r.target?.name ?? '?'}</strong></a>
${progressBar(r.progress, `${plural(r.plan.moves.length, 'site')}`)}</div>`;

const sitesChart = (c: DistributionCard): SafeHtml =>
  html`<div class="card"><a href="${distributionHref(c.distribution.slug)}"><strong>${c.distribution.title}</strong></a>
${barChart({ title: 'Sites per platform', bars: c.platforms.filter((p) => p.platform.status !== 'failed').map((p) => ({ label: p.platform.name, value: p.siteCount, highlight: p.isTarget })) })}
${securityBar(c.securityCounts)}</div>`;

/** `exposure`: the advisory feed's summary (src/http/pages/exposure-view.ts), right after what needs attention. */
export const renderDashboard = (v: DashboardView, exposure?: SafeHtml): SafeHtml => {
  const live = v.active.length > 0 || v.rollouts.some((r) => r.progress.running + r.progress.waiting > 0);
  return layout({
    title: 'Dashboard',
    ...(live ? { refreshSeconds: DASHBOARD_REFRESH_SECONDS } : {}),
    scripts: [LIVE_SCRIPT],
    body: html`<h1>Dashboard</h1>
<p class="sub">What needs a human first, then code bases, upgrade targets and the sites still waiting to move.</p>
<h2>Needs attention</h2>
<div id="attention" data-live>${attention(v)}</div>
${exposure ?? ''}
${v.distributions.length ? html`<h2>Fleet security</h2><div class="card">${securityBar(v.security, 'All sites', 'fleet-security')}</div>` : ''}
${v.rollouts.length ? html`<h2>Upgrades in progress</h2><div class="grid" id="rollouts" data-live>${v.rollouts.map(rolloutCard)}</div>` : ''}
<h2>Distributions</h2>
${dashboardActions()}
${
  v.distributions.length
    ? html`<table id="distributions"><thead><tr><th>Distribution</th><th>Upgrade target</th><th class="num">Platforms</th><th class="num">Sites</th><th class="num">Outdated sites</th><th>Last poll</th></tr></thead><tbody>
${v.distributions.map(
  (o) => html`<tr><td><a href="${distributionHref(o.distribution.slug)}"><strong>${o.distribution.title}</strong></a> <code>${o.distribution.slug}</code></td>
<td>${o.target ? html`<a href="${platformHref(o.target.name)}">${o.target.name}</a>` : html`<span class="empty">none</span>`}</td><td class="num">${o.platformCount}</td><td class="num">${o.siteCount}</td>
<td class="num">${o.outdatedSiteCount ? badge('downgrade', String(o.outdatedSiteCount)) : '0'}</td><td>${pollStatus(o.distribution)}</td></tr>`,
)}
</tbody></table>
<div class="grid" id="charts">${v.distributions.map(sitesChart)}</div>`
    : html`<p class="empty">${dashboardEmptyText()}</p>`
}
<h2>Running tasks</h2>
<div id="running-tasks" data-live>${taskTable(v.active, v.platformNames)}</div>
<h2>Recent tasks</h2>
<div id="recent-tasks" data-live>${taskTable(v.recent, v.platformNames)}</div>
<p class="export">Export: <a href="/sites.csv">all sites (CSV)</a> · <a href="/tasks.csv">tasks (CSV)</a></p>`,
  });
};
