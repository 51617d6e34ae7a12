/** Distribution, platform and site pages: pure renderings of the view models (src/services/view-service.ts). */
import { buildFailure } from '../../domain/build-failure.js';
import type { Distribution, UpstreamSource } from '../../domain/distribution.js';
import type { Hold } from '../../domain/hold.js';
import type { RollbackStatus } from '../../services/rollback-service.js';
import type { Platform } from '../../domain/platform.js';
import type { Task } from '../../domain/task.js';
import { firstErrorLine } from '../../lib/first-error-line.js';
import { plural } from '../../lib/plural.js';
import type { PlatformSecurity } from '../../services/compare-service.js';
import type { DistributionView, PlatformView, SiteView } from '../../services/view-service.js';
import { html, withInlineCode, type SafeHtml } from '../html.js';
import { barChart } from './charts/bar-chart.js';
import { progressBar } from './charts/progress-bar.js';
import { securityBar } from './charts/security-bar.js';
import { badge, formatDate, layout } from './layout.js';
import { holdFact, holdText, rollbackFact } from './governance-parts.js';
import { distributionActions, platformActions, setTargetButton, siteActions } from './forms/page-actions.js';
import { compareHref, distributionHref, platformHref, siteHref, taskHref, upgradeHref } from './links.js';
import { LIVE_SCRIPT } from './live-script.js';
import { policySummary } from './forms/policy-form.js';
import { may } from './page-context.js';
import { parseWindows } from '../../domain/maintenance-window.js';
import { describeNextWindow } from '../../domain/rollout-policy.js';

/** Seconds between dashboard updates while tasks or rollouts run. */
export const DASHBOARD_REFRESH_SECONDS = 10;

/** Last poll of a distribution: when, and whether it worked. */
export const pollStatus = (d: Distribution): SafeHtml => {
  if (!d.upstream) return html`<span class="empty">no upstream</span>`;
  if (!d.lastPoll) return html`<span class="empty">not polled yet</span>`;
  return d.lastPoll.error
    ? html`${badge('failed', 'failed')} ${formatDate(d.lastPoll.at)}<span class="err">${d.lastPoll.error}</span>`
    : html`${badge('succeeded', 'ok')} ${formatDate(d.lastPoll.at)}`;
};

/** Failed tasks nothing has retried since, with their error sentence: what needs a human. */
export const failedTaskList = (tasks: Task[]): SafeHtml =>
  html`<div class="card attention" id="failed-tasks"><h3>${plural(tasks.length, 'failed task')}</h3><ul>
${tasks.map(
  (t) => html`<li><a href="${taskHref(t.id)}">#${t.number}</a> ${t.type} of ${t.subject.kind === 'site' ? html`<a href="${siteHref(t.subject.name)}">${t.subject.name}</a>` : t.subject.name} · ${formatDate(t.finishedAt ?? t.createdAt)}<span class="err">${firstErrorLine(t.error ?? '', 300, 'failed without an error message')}</span></li>`,
)}</ul></div>`;

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
<td>${badge(t.state)}${t.state === 'failed' && t.error ? html`<span class="err">${firstErrorLine(t.error)}</span>` : ''}</td><td>${formatDate(t.createdAt)}</td></tr>`,
)}
</tbody></table>`
    : empty('No tasks.');

const describeUpstream = (u: UpstreamSource | null): SafeHtml => {
  if (!u) return html`<span class="empty">none (platforms are registered by hand)</span>`;
  const where = u.kind === 'git' ? u.url : `github.com/${u.owner}/${u.repo}`;
  return html`<code>${where}</code> ${u.branch ? html`branch <code>${u.branch}</code>` : ''} ${u.tagPattern ? html`tags <code>${u.tagPattern}</code>` : ''} · manifest <code>${u.manifestPath}</code>`;
};

/** What the advisories say about a platform, with a link to the Compare page when the target fixes something. */
export const securityLine = (s: PlatformSecurity, from: string, target: Platform | null): SafeHtml => {
  if (!s.insecurePackages.length) return html`<span class="sub">no known advisory</span>`;
  const packages = s.insecurePackages.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`);
  return s.fixesWaiting.length && target
    ? html`${badge('security-fixed', `${plural(s.fixesWaiting.length, 'security fix', 'security fixes')} waiting`)} in <a href="${compareHref(from, target.name)}">${target.name}</a> · insecure now: ${packages}`
    : html`${badge('still-insecure', 'insecure')} ${packages}${target && target.name !== from ? ' (the target does not fix it)' : ''}`;
};

export const renderDistributionPage = (v: DistributionView, exposure?: SafeHtml): SafeHtml => {
  const d = v.detail;
  const dist = d.distribution;
  const live = v.rollouts.some((r) => r.progress.running + r.progress.waiting > 0);
  const failedSites = new Set(v.failedTasks.filter((t) => t.subject.kind === 'site').map((t) => t.subject.id));
  return layout({
    title: dist.title,
    ...(live ? { refreshSeconds: DASHBOARD_REFRESH_SECONDS } : {}),
    scripts: [LIVE_SCRIPT],
    body: html`<h1>${dist.title} <code>${dist.slug}</code></h1>
<p class="sub">${dist.description}</p>
${distributionActions(dist, d.outdatedSiteCount, d.pin, d.platforms.length)}
${v.failedTasks.length ? failedTaskList(v.failedTasks) : ''}
${dist.lastPoll?.error ? html`<div class="alert" id="poll-error" role="alert">The last check of the upstream failed (${formatDate(dist.lastPoll.at)}): ${dist.lastPoll.error}</div>` : ''}
<div class="card"><dl class="facts">
<dt>Upgrade target</dt><dd>${platformLink(d.target)}</dd>
<dt>Upstream</dt><dd>${describeUpstream(dist.upstream)}</dd>
<dt>Polling</dt><dd>${dist.policy.pollIntervalMinutes ? `every ${dist.policy.pollIntervalMinutes} min` : 'off'} · new builds ${dist.policy.autoTarget ? 'become the target automatically' : 'wait for a manual target'}</dd>
<dt>Last poll</dt><dd id="last-poll">${pollStatus(dist)}</dd>
<dt>Slack channel</dt><dd>${dist.channel ?? '—'}</dd>
<dt>Sites</dt><dd>${d.siteCount} (${d.outdatedSiteCount} outdated)</dd>
${holdFact('Pinned', d.pin)}
</dl></div>
<h2>Rollout policy</h2>
<div class="card">${policySummary(dist.policy, describeNextWindow(parseWindows(dist.policy.rollout?.windows ?? [], 'windows').windows, new Date()))}
${may('distribution.edit') ? html`<p class="actions"><a class="button" href="${distributionHref(dist.slug)}/policy">Edit policy</a></p>` : ''}</div>
${exposure ?? ''}
${v.rollouts.length ? html`<h2>Upgrades in progress</h2><div class="grid" id="rollouts" data-live>${v.rollouts.map((r) => html`<div class="card"><a href="${upgradeHref(r.plan.id)}"><strong>→ ${r.target?.name ?? '?'}</strong></a>${progressBar(r.progress, plural(r.plan.moves.length, 'site'))}</div>`)}</div>` : ''}
${d.platforms.length ? html`<div class="grid"><div class="card">${barChart({ id: 'sites-per-platform', title: 'Sites per platform', bars: d.platforms.filter((p) => p.platform.status !== 'failed').map((p) => ({ label: p.platform.name, value: p.siteCount, highlight: p.isTarget })) })}</div>
<div class="card">${securityBar(d.securityCounts, 'Security of its sites', 'distribution-security')}</div></div>` : ''}
<h2>Platforms</h2>
${
  d.platforms.length
    ? html`<table id="platforms"><thead><tr><th>Platform</th><th>Ref</th><th>Commit</th><th>Status</th><th class="num">Sites</th><th>Security</th><th></th></tr></thead><tbody>
${d.platforms.map(
  ({ platform: p, siteCount, isTarget, lock }) => html`<tr><td>${platformLink(p)}</td><td><code>${p.source.ref}</code></td><td><code>${p.source.commit.slice(0, 10)}</code></td>
<td>${isTarget ? badge('target', 'target') : ''}${badge(p.status)}${lock ? html`<span class="reason">${holdText(lock)}</span>` : ''}${p.status === 'failed' ? html`<span class="err">${firstErrorLine(buildFailure(p))}</span>` : ''}</td><td class="num">${siteCount}</td>
<td>${d.security.has(p.id) ? securityLine(d.security.get(p.id)!, p.name, isTarget ? null : d.target) : ''}</td>
<td>${d.target && !isTarget && p.status !== 'failed' ? html`<a href="${compareHref(p.name, d.target.name)}">compare with target</a>` : ''} ${setTargetButton(dist, p, isTarget)}</td></tr>`,
)}
</tbody></table>`
    : empty(dist.lastPoll?.error ? 'No platforms yet: the upstream could not be checked (see above).' : dist.upstream && !dist.lastPoll ? 'No platforms yet: the upstream has not been checked yet.' : 'No platforms yet.')
}
<h2>Outdated sites</h2>
${
  v.outdated.length
    ? v.outdated.map(
        (g) => html`<div class="card"><strong>${platformLink(g.platform)}</strong> → ${platformLink(d.target)}: ${g.sites.map((s, i) => html`${i ? ', ' : ''}<a href="${siteHref(s.name)}">${s.name}</a>${failedSites.has(s.id) ? html` ${badge('failed', 'migration failed')}` : ''}`)}</div>`,
      )
    : empty(d.target ? 'Every enabled site is on the target.' : 'No upgrade target is set.')
}`,
  });
};

/** The platform page's data: its view model plus the advisory exposure and a manual lock. */
export type PlatformPageData = PlatformView & { exposure?: SafeHtml; lock?: Hold | null };

export const renderPlatformPage = (d: PlatformPageData): SafeHtml => {
  const p = d.platform;
  const isTarget = d.target?.id === p.id;
  return layout({
    title: p.name,
    body: html`<h1>${p.name} ${isTarget ? badge('target', 'target') : ''}${badge(p.status)}</h1>
<p class="sub">${d.distribution ? html`Platform of <a href="${distributionHref(d.distribution.slug)}">${d.distribution.title}</a>` : 'Platform'}</p>
${platformActions(p, d.target, d.lock, d.siteTotal)}
<div class="card"><dl class="facts">
<dt>Source</dt><dd><code>${p.source.ref}</code> at <code>${p.source.commit}</code></dd>
<dt>Server</dt><dd>${p.server}</dd>
<dt>Path</dt><dd>${p.path ? html`<code>${p.path}</code>` : '—'}</dd>
<dt>Manifest</dt><dd>${p.manifest.format} · ${p.manifest.packages.length} packages</dd>
<dt>Created</dt><dd>${formatDate(p.createdAt)}</dd>
${holdFact('Manual lock', d.lock)}
${p.status === 'failed' ? html`<dt>Build error</dt><dd class="err">${firstErrorLine(buildFailure(p))}</dd>` : ''}
<dt>Security</dt><dd id="security">${securityLine(d.security, p.name, isTarget ? null : d.target)}</dd>
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

/** The site page's data: its view model plus the advisory exposure, a pin and whether it can be rolled back. */
export type SitePageData = SiteView & { exposure?: SafeHtml; pin?: Hold | null; rollback?: RollbackStatus };

export const renderSitePage = (d: SitePageData): SafeHtml => {
  const s = d.site;
  return layout({
    title: s.name,
    body: html`<h1>${s.name} ${badge(s.status)}</h1>
${d.failure ? html`<div class="alert" id="site-failure" role="alert">Its last task, <a href="${taskHref(d.failure.id)}">#${d.failure.number}</a> (${d.failure.type}), failed ${formatDate(d.failure.finishedAt)}: ${firstErrorLine(d.failure.error ?? '', 300, 'no error message')}</div>` : ''}
<p class="sub">Site on ${platformLink(d.platform)}${d.distribution ? html` (<a href="${distributionHref(d.distribution.slug)}">${d.distribution.title}</a>)` : ''}</p>
${siteActions(s, !d.refusal && Boolean(d.target), d.pin)}
<div class="card"><dl class="facts">
<dt>Upgrade</dt><dd>${
      d.refusal || !d.target
        ? withInlineCode(d.refusal ?? 'No upgrade target.')
        : html`Available: <a href="${compareHref(d.platform.name, d.target.name, s.name)}">compare ${d.platform.name} → ${d.target.name}</a>`
    }</dd>
<dt>Security</dt><dd id="security">${securityLine(d.security, d.platform.name, d.target?.id === d.platform.id ? null : d.target)}</dd>
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
