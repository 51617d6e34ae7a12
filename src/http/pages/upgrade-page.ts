/** One upgrade (plan): every site it moves with its task state, failures first. Where Slack's "…and N more" leads. */
import { describeActor } from '../../domain/actor.js';
import { isActive, type Task, type TaskState } from '../../domain/task.js';
import { firstErrorLine } from '../../lib/first-error-line.js';
import type { PlanView } from '../../services/upgrade-service.js';
import { html, type SafeHtml } from '../html.js';
import { badge, layout } from './layout.js';
import { siteHref, taskHref } from './links.js';
import { planActions } from './forms/page-actions.js';

const ORDER: Record<TaskState | 'none', number> = { failed: 0, processing: 1, queued: 2, none: 3, cancelled: 4, succeeded: 5 };

export const renderUpgradePage = (view: PlanView): SafeHtml => {
  const bySite = new Map<string, Task>(view.tasks.map((t) => [t.subject.id, t]));
  const skipped = new Map((view.plan.skipped ?? []).map((s) => [s.site, s.reason]));
  const rows = view.plan.moves
    .map((m) => ({ move: m, task: bySite.get(m.siteId) }))
    .sort((a, b) => ORDER[a.task?.state ?? 'none'] - ORDER[b.task?.state ?? 'none']);
  const what = (task: Task | undefined, site: string): SafeHtml | string =>
    task ? badge(task.state) : skipped.has(site) ? `not scheduled: ${skipped.get(site)}` : view.plan.state === 'confirmed' ? 'being scheduled' : '—';
  return layout({
    title: `Upgrade to ${view.target.name}`,
    // While its migrations run, the page follows them.
    ...(view.tasks.some((t) => isActive(t.state)) ? { refreshSeconds: 5 } : {}),
    body: html`<h1>Upgrade ${view.plan.moves.length} sites to <code>${view.target.name}</code> ${badge(view.plan.state)}</h1>
<p class="sub">${view.distribution.title} · requested by ${describeActor(view.plan.requestedBy)}${view.plan.confirmedBy ? ` · ${view.plan.state} by ${describeActor(view.plan.confirmedBy)}` : ''}</p>
<table id="upgrade-sites"><thead><tr><th>Site</th><th>State</th><th>Task</th><th>Error</th></tr></thead><tbody>
${rows.map(
  ({ move, task }) => html`<tr><td><a href="${siteHref(move.siteName)}">${move.siteName}</a></td><td>${what(task, move.siteName)}</td>
<td>${task ? html`<a href="${taskHref(task.id)}">#${task.number}</a>` : '—'}</td><td>${task?.state === 'failed' ? firstErrorLine(task.error ?? '') : ''}</td></tr>`,
)}
</tbody></table>
${planActions(view)}`,
  });
};
