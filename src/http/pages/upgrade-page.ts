/** One upgrade (plan): its progress, and every site it moves with its task state, failures first. Where Slack's "…and N more" leads. */
import { describeProgress } from '../../domain/rollout.js';
import { latestPerSite } from '../../domain/rollout-progress.js';
import { rolloutHref } from './rollout-page.js';
import { describeActor } from '../../domain/actor.js';
import type { Task, TaskState } from '../../domain/task.js';
import { errorSummary } from '../../lib/error-summary.js';
import type { UpgradeView } from '../../services/view-service.js';
import { html, type SafeHtml } from '../html.js';
import { progressBar } from './charts/progress-bar.js';
import { TASK_REFRESH_SECONDS } from './task-page.js';
import { badge, layout } from './layout.js';
import { siteHref, taskHref } from './links.js';
import { planActions } from './forms/page-actions.js';
import { LIVE_SCRIPT } from './live-script.js';
import { holdText } from './governance-parts.js';

const ORDER: Record<TaskState | 'none', number> = { failed: 0, processing: 1, queued: 2, none: 3, cancelled: 4, succeeded: 5 };

export const renderUpgradePage = (view: UpgradeView): SafeHtml => {
  // Each site's latest attempt, as the progress counts it.
  const bySite = new Map<string, Task>(latestPerSite(view.tasks).map((t) => [t.subject.id, t]));
  const skipped = new Map((view.plan.skipped ?? []).map((s) => [s.site, s.reason]));
  const rows = view.plan.moves
    .map((m) => ({ move: m, task: bySite.get(m.siteId) }))
    .sort((a, b) => ORDER[a.task?.state ?? 'none'] - ORDER[b.task?.state ?? 'none']);
  const what = (task: Task | undefined, site: string): SafeHtml | string =>
    task ? badge(task.state) : skipped.has(site) ? `not scheduled: ${skipped.get(site)}` : view.plan.state === 'confirmed' ? 'being scheduled' : '—';
  const live = view.plan.state === 'confirmed' && view.progress.running + view.progress.waiting > 0;
  return layout({
    title: `Upgrade to ${view.target.name}`,
    ...(live ? { refreshSeconds: TASK_REFRESH_SECONDS } : {}),
    scripts: [LIVE_SCRIPT],
    body: html`<h1>Upgrade ${view.plan.moves.length} sites to <code>${view.target.name}</code> ${badge(view.plan.state)}</h1>
<p class="sub">${view.distribution.title} · requested by ${describeActor(view.plan.requestedBy)}${view.plan.confirmedBy ? ` · ${view.plan.state} by ${describeActor(view.plan.confirmedBy)}` : ''}</p>
<div id="upgrade-live" data-live>
${view.rollout ? html`<p id="upgrade-rollout">Moved by <a href="${rolloutHref(view.rollout)}">rollout ${view.rollout.number}</a> · ${badge(view.rollout.state)} · ${describeProgress(view.rollout)} (pause, resume or cancel it there)</p>` : ''}
<div class="card">${progressBar(view.progress, 'Progress', 'upgrade-progress')}</div>
<table id="upgrade-sites"><thead><tr><th>Site</th><th>State</th><th>Error</th><th>Task</th></tr></thead><tbody>
${rows.map(
  ({ move, task }) => html`<tr><td><a href="${siteHref(move.siteName)}">${move.siteName}</a></td><td>${what(task, move.siteName)}</td>
<td>${task?.state === 'failed' ? html`<span class="err">${errorSummary(task.error)}</span>` : ''}</td><td>${task ? html`<a href="${taskHref(task.id)}">#${task.number}</a>` : '—'}</td></tr>`,
)}
</tbody></table></div>
${
  view.held.length
    ? html`<h2>Held out (${view.held.length})</h2><table id="upgrade-held"><thead><tr><th>Site</th><th>Why</th></tr></thead><tbody>
${view.held.map((h) => html`<tr><td><a href="${siteHref(h.site.name)}">${h.site.name}</a></td><td>${holdText(h.hold)}</td></tr>`)}
</tbody></table>`
    : ''
}
${planActions(view)}`,
  });
};
