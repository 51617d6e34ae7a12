import { describeActor } from '../../domain/actor.js';
import { isActive } from '../../domain/task.js';
import { taskProgress } from '../../domain/task-progress.js';
import type { TaskView } from '../../services/view-service.js';
import { html, type SafeHtml } from '../html.js';
import { badge, formatDate, layout } from './layout.js';
import { platformHref, siteHref } from './links.js';
import { taskActions } from './forms/page-actions.js';
import { LIVE_SCRIPT } from './live-script.js';

/** How often an active task's page updates (in place with JavaScript, by reloading without). */
export const TASK_REFRESH_SECONDS = 3;

export const renderTaskPage = ({ task: t, platformNames }: TaskView): SafeHtml => {
  const platform = (id: string | null) => {
    const name = id ? platformNames.get(id) : undefined;
    return name ? html`<a href="${platformHref(name)}">${name}</a>` : '—';
  };
  const active = isActive(t.state);
  const progress = taskProgress(t);
  return layout({
    title: `Task #${t.number} ${t.state}`,
    ...(active ? { refreshSeconds: TASK_REFRESH_SECONDS } : {}),
    scripts: [LIVE_SCRIPT],
    body: html`<div id="task-head" data-live><h1>Task #${t.number}: ${t.type} ${badge(t.state)}</h1>
<p class="sub">${t.subject.kind} ${t.subject.kind === 'site' ? html`<a href="${siteHref(t.subject.name)}">${t.subject.name}</a>` : t.subject.name}${active ? ` · updates every ${TASK_REFRESH_SECONDS} s while it runs` : ''}</p></div>
${taskActions(t)}
<div class="card"><dl class="facts" id="task-facts" data-live>
${t.fromPlatformId || t.toPlatformId ? html`<dt>Move</dt><dd>${platform(t.fromPlatformId)} → ${platform(t.toPlatformId)}</dd>` : ''}
<dt>Requested by</dt><dd>${describeActor(t.requestedBy)}</dd>
${t.confirmedBy ? html`<dt>Confirmed by</dt><dd>${describeActor(t.confirmedBy)}</dd>` : ''}
<dt>Created</dt><dd>${formatDate(t.createdAt)}</dd>
<dt>Started</dt><dd>${formatDate(t.startedAt)}</dd>
<dt>Finished</dt><dd>${formatDate(t.finishedAt)}</dd>
${progress.current ? html`<dt>${active ? 'Current step' : 'Last step'}</dt><dd id="task-step" aria-live="polite">${progress.current}${progress.total ? html` <span class="steps">(${progress.done} of ${progress.total} steps done)</span>` : ''}</dd>` : ''}
<dt>Attempts</dt><dd>${t.attempts}</dd>
</dl></div>
<div id="task-outcome" data-live>${t.error ? html`<div class="alert" id="task-error">${t.error}</div>` : ''}</div>
<h2>Log</h2>
<div id="task-log-box" data-live>
${t.logDropped ? html`<p class="empty">${t.logDropped} earlier lines were not kept (only the newest are).</p>` : ''}
${
  t.log.length
    ? html`<div class="log" id="task-log">${t.log.map(
        (l) => html`<div class="${l.level}"><time datetime="${l.at.toISOString()}">${formatDate(l.at)}</time>${l.message}</div>`,
      )}</div>`
    : html`<p class="empty">No log lines yet.</p>`
}</div>`,
  });
};
