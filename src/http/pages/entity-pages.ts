/** Dashboard, distribution, platform and site pages: read-only views over the services. */
import type { Distribution, UpstreamSource } from '../../domain/distribution.js';
import type { Hold } from '../../domain/hold.js';
import type { RollbackStatus } from '../../services/rollback-service.js';
import type { Platform } from '../../domain/platform.js';
import type { Site } from '../../domain/site.js';
import type { Task } from '../../domain/task.js';
import type { DistributionDetail, DistributionOverview } from '../../services/distribution-service.js';
import { html, withInlineCode, type SafeHtml } from '../html.js';
import { holdFact, holdText, rollbackFact } from './governance-parts.js';
import { badge, formatDate, layout } from './layout.js';
import { compareHref, distributionHref, platformHref, siteHref, taskHref } from './links.js';
import { dashboardActions, dashboardEmptyText, distributionActions, platformActions, setTargetButton, siteActions } from './forms/page-actions.js';

const empty = (text: string): SafeHtml => html`<p class="empty">${text}</p>`;

const platformLink = (p: Pick<Platform, 'name'> | null | undefined): SafeHtml =>
  p ? html`<a href="${platformHref(p.name)}">${p.name}</a>` : html`<span class="empty">none</span>`;

export const taskTable = (tasks: Task[], platformNames: Map<string, string> = new Map()): SafeHtml =>
  tasks.length
    ? html`<table><thead><tr><th>#</th><th>Type</th><th>Subject</th><th>Move</th><th>State</th><th>Created</th></tr></thead><tbody>
${tasks.map(
  (t) => html`<tr><td><a href="${taskHref(t.id)}">#${t.number}</a></td><td>${t.type}</td>
<td>${t.subject.kind === 'site' ? html`<a href="${siteHref(t.subject.name)}">${t.subject.name}</a>` : t.subject.name}</td>
<td>${t.fromPlatformId || t.toPlatformId ? html`${platformNames.get(t.fromPlatformId ?? '') ?? '—'} → ${platformNames.get(t.toPlatformId ?? '') ?? '—'}` : '—'}</td>
<td>${badge(t.state)}</td><td>${formatDate(t.createdAt)}</td></tr>`,
)}
</tbody></table>`
    : empty('No tasks.');

export interface DashboardData {
  distributions: DistributionOverview[];
  active: Task[];
  recent: Task[];
  platformNames: Map<string, string>;
  /** Security exposure (src/http/pages/exposure-view.ts), shown first. */
  exposure?: SafeHtml;
}

export const renderDashboard = (d: DashboardData): SafeHtml =>
  layout({
    title: 'Dashboard',
    body: html`${d.exposure ?? ''}<h1>Distributions</h1>
<p class="sub">Code bases, their upgrade targets, and the sites still waiting to move.</p>
${dashboardActions()}
${
  d.distributions.length
    ? html`<table id="distributions"><thead><tr><th>Distribution</th><th>Upgrade target</th><th class="num">Platforms</th><th class="num">Sites</th><th class="num">Outdated sites</th></tr></thead><tbody>
${d.distributions.map(
  (o) => html`<tr><td><a href="${distributionHref(o.distribution.slug)}"><strong>${o.distribution.title}</strong></a> <code>${o.distribution.slug}</code></td>
<td>${platformLink(o.target)}</td><td class="num">${o.platformCount}</td><td class="num">${o.siteCount}</td>
<td class="num">${o.outdatedSiteCount ? badge('downgrade', String(o.outdatedSiteCount)) : '0'}</td></tr>`,
)}
</tbody></table>`
    : empty(dashboardEmptyText())
}
<h2>Running tasks</h2>
<div id="running-tasks">${taskTable(d.active, d.platformNames)}</div>
<h2>Recent tasks</h2>
${taskTable(d.recent, d.platformNames)}`,
  });

const describeUpstream = (u: UpstreamSource | null): SafeHtml => {
  if (!u) return html`<span class="empty">none (platforms are registered by hand)</span>`;
  const where = u.kind === 'git' ? u.url : `github.com/${u.owner}/${u.repo}`;
  return html`<code>${where}</code> ${u.branch ? html`branch <code>${u.branch}</code>` : ''} ${u.tagPattern ? html`tags <code>${u.tagPattern}</code>` : ''} · manifest <code>${u.manifestPath}</code>`;
};

export const renderDistributionPage = (d: DistributionDetail, outdated: { platform: Platform; sites: Site[] }[], exposure?: SafeHtml): SafeHtml => {
  const dist = d.distribution;
  return layout({
    title: dist.title,
    body: html`<h1>${dist.title} <code>${dist.slug}</code></h1>
<p class="sub">${dist.description}</p>
${distributionActions(dist, d.outdatedSiteCount)}
<div class="card"><dl class="facts">
<dt>Upgrade target</dt><dd>${platformLink(d.target)}</dd>
<dt>Upstream</dt><dd>${describeUpstream(dist.upstream)}</dd>
<dt>Polling</dt><dd>${dist.policy.pollIntervalMinutes ? `every ${dist.policy.pollIntervalMinutes} min` : 'off'} · new builds ${dist.policy.autoTarget ? 'become the target automatically' : 'wait for a manual target'}</dd>
<dt>Slack channel</dt><dd>${dist.channel ?? '—'}</dd>
<dt>Sites</dt><dd>${d.siteCount} (${d.outdatedSiteCount} outdated)</dd>
${holdFact('Pinned', d.pin)}
</dl></div>
${exposure ?? ''}
<h2>Platforms</h2>
${
  d.platforms.length
    ? html`<table id="platforms"><thead><tr><th>Platform</th><th>Ref</th><th>Commit</th><th>Status</th><th class="num">Sites</th><th></th></tr></thead><tbody>
${d.platforms.map(
  ({ platform: p, siteCount, isTarget, lock }) => html`<tr><td>${platformLink(p)}</td><td><code>${p.source.ref}</code></td><td><code>${p.source.commit.slice(0, 10)}</code></td>
<td>${isTarget ? badge('target', 'target') : ''}${badge(p.status)}${lock ? html`<span class="reason">${holdText(lock)}</span>` : ''}</td><td class="num">${siteCount}</td>
<td>${d.target && !isTarget && p.status !== 'failed' ? html`<a href="${compareHref(p.name, d.target.name)}">compare with target</a>` : ''} ${setTargetButton(dist, p, isTarget)}</td></tr>`,
)}
</tbody></table>`
    : empty('No platforms yet.')
}
<h2>Outdated sites</h2>
${
  outdated.length
    ? outdated.map(
        (g) => html`<div class="card"><strong>${platformLink(g.platform)}</strong> → ${platformLink(d.target)}: ${g.sites.map((s, i) => html`${i ? ', ' : ''}<a href="${siteHref(s.name)}">${s.name}</a>`)}</div>`,
      )
    : empty(d.target ? 'Every enabled site is on the target.' : 'No upgrade target is set.')
}`,
  });
};

export interface PlatformPageData {
  platform: Platform;
  distribution: Distribution | null;
  target: Platform | null;
  sites: Site[];
  siteTotal: number;
  /** Security exposure (src/http/pages/exposure-view.ts). */
  exposure?: SafeHtml;
  /** Locked by hand. */
  lock?: Hold | null;
}

export const renderPlatformPage = (d: PlatformPageData): SafeHtml => {
  const p = d.platform;
  const isTarget = d.target?.id === p.id;
  return layout({
    title: p.name,
    body: html`<h1>${p.name} ${isTarget ? badge('target', 'target') : ''}${badge(p.status)}</h1>
<p class="sub">${d.distribution ? html`Platform of <a href="${distributionHref(d.distribution.slug)}">${d.distribution.title}</a>` : 'Platform'}</p>
${platformActions(p, d.target)}
<div class="card"><dl class="facts">
<dt>Source</dt><dd><code>${p.source.ref}</code> at <code>${p.source.commit}</code></dd>
<dt>Server</dt><dd>${p.server}</dd>
<dt>Path</dt><dd>${p.path ? html`<code>${p.path}</code>` : '—'}</dd>
<dt>Manifest</dt><dd>${p.manifest.format} · ${p.manifest.packages.length} packages</dd>
<dt>Created</dt><dd>${formatDate(p.createdAt)}</dd>
${holdFact('Manual lock', d.lock)}
${d.target && !isTarget ? html`<dt>Upgrade</dt><dd><a href="${compareHref(p.name, d.target.name)}">Compare with the target ${d.target.name}</a></dd>` : ''}
</dl></div>
${d.exposure ?? ''}
<h2>Sites (${d.siteTotal})</h2>
${
  d.sites.length
    ? html`<table><thead><tr><th>Site</th><th>Status</th><th>Since</th></tr></thead><tbody>
${d.sites.map((s) => html`<tr><td><a href="${siteHref(s.name)}">${s.name}</a></td><td>${badge(s.status)}</td><td>${formatDate(s.history.at(-1)?.from ?? s.createdAt)}</td></tr>`)}
</tbody></table>`
    : empty('No sites on this platform.')
}
${d.siteTotal > d.sites.length ? html`<p class="sub">Showing the first ${d.sites.length}; the API lists all.</p>` : ''}
<h2>Packages</h2>
<details class="diff"><summary>${p.manifest.packages.length} packages</summary>
<table><thead><tr><th>Package</th><th>Version</th><th>Type</th></tr></thead><tbody>
${p.manifest.packages.map((x) => html`<tr><td><code>${x.name}</code></td><td class="mono">${x.version}</td><td>${x.type ?? ''}</td></tr>`)}
</tbody></table></details>
${p.buildLog.length ? html`<h2>Build log</h2>${p.buildLogDropped ? html`<p class="empty">${p.buildLogDropped} earlier lines were not kept (only the newest are).</p>` : ''}<div class="log">${p.buildLog.map((l) => html`<div>${l}</div>`)}</div>` : ''}`,
  });
};

export interface SitePageData {
  site: Site;
  platform: Platform;
  distribution: Distribution | null;
  target: Platform | null;
  /** Why it cannot be upgraded, or null when it can. */
  refusal: string | null;
  tasks: Task[];
  platformNames: Map<string, string>;
  /** Security exposure (src/http/pages/exposure-view.ts). */
  exposure?: SafeHtml;
  pin?: Hold | null;
  rollback?: RollbackStatus;
}

export const renderSitePage = (d: SitePageData): SafeHtml => {
  const s = d.site;
  return layout({
    title: s.name,
    body: html`<h1>${s.name} ${badge(s.status)}</h1>
<p class="sub">Site on ${platformLink(d.platform)}${d.distribution ? html` (<a href="${distributionHref(d.distribution.slug)}">${d.distribution.title}</a>)` : ''}</p>
${siteActions(s, !d.refusal && Boolean(d.target))}
<div class="card"><dl class="facts">
<dt>Upgrade</dt><dd>${
      d.refusal || !d.target
        ? withInlineCode(d.refusal ?? 'No upgrade target.')
        : html`Available: <a href="${compareHref(d.platform.name, d.target.name, s.name)}">compare ${d.platform.name} → ${d.target.name}</a>`
    }</dd>
<dt>Modules</dt><dd>${s.modules.length ? s.modules.map((m, i) => html`${i ? ', ' : ''}<code>${m}</code>`) : html`<span class="empty">unknown</span>`}</dd>
<dt>Created</dt><dd>${formatDate(s.createdAt)}</dd>
${holdFact('Pinned', d.pin)}
${rollbackFact(d.rollback)}
</dl></div>
${d.exposure ?? ''}
<h2>History</h2>
${
  s.history.length
    ? html`<table><thead><tr><th>Platform</th><th>From</th><th>Task</th></tr></thead><tbody>
${s.history.map(
  (h) => html`<tr><td>${platformLink(d.platformNames.has(h.platformId) ? { name: d.platformNames.get(h.platformId)! } : null)}</td><td>${formatDate(h.from)}</td><td>${h.taskId ? html`<a href="${taskHref(h.taskId)}">task</a>` : '—'}</td></tr>`,
)}
</tbody></table>`
    : empty('No history.')
}
<h2>Tasks</h2>
${taskTable(d.tasks, d.platformNames)}`,
  });
};
