import { describeActor } from '../../domain/actor.js';
import { isActive, type Task } from '../../domain/task.js';
import { html, type SafeHtml } from '../html.js';
import { badge, formatDate, layout } from './layout.js';
import { platformHref, siteHref } from './links.js';
import { taskActions } from './forms/page-actions.js';

/** How often an active task's page reloads itself. */
export const TASK_REFRESH_SECONDS = 5;

export const renderTaskPage = (t: Task, platformNames: Map<string, string>): SafeHtml => {
  const platform = (id: string | null) => {
    const name = id ? platformNames.get(id) : undefined;
    return name ? html`<a href="${platformHref(name)}">${name}</a>` : '—';
  };
  const active = isActive(t.state);
  return layout({
    title: `Task #${t.number}`,
    ...(active ? { refreshSeconds: TASK_REFRESH_SECONDS } : {}),
    body: html`<h1>Task #${t.number}: ${t.type} ${badge(t.state)}</h1>
<p class="sub">${t.subject.kind} ${t.subject.kind === 'site' ? html`<a href="${siteHref(t.subject.name)}">${t.subject.name}</a>` : t.subject.name}${active ? ` · this page refreshes every ${TASK_REFRESH_SECONDS} s` : ''}</p>
${taskActions(t)}
<div class="card"><dl class="facts">
${t.fromPlatformId || t.toPlatformId ? html`<dt>Move</dt><dd>${platform(t.fromPlatformId)} → ${platform(t.toPlatformId)}</dd>` : ''}
<dt>Requested by</dt><dd>${describeActor(t.requestedBy)}</dd>
${t.confirmedBy ? html`<dt>Confirmed by</dt><dd>${describeActor(t.confirmedBy)}</dd>` : ''}
<dt>Created</dt><dd>${formatDate(t.createdAt)}</dd>
<dt>Started</dt><dd>${formatDate(t.startedAt)}</dd>
<dt>Finished</dt><dd>${formatDate(t.finishedAt)}</dd>
${t.step ? html`<dt>Last step</dt><dd>${t.step}</dd>` : ''}
<dt>Attempts</dt><dd>${t.attempts}</dd>
</dl></div>
${t.error ? html`<div class="alert" id="task-error">${t.error}</div>` : ''}
<h2>Log</h2>
${t.logDropped ? html`<p class="empty">${t.logDropped} earlier lines were not kept (only the newest are).</p>` : ''}
${
  t.log.length
    ? html`<div class="log" id="task-log">${t.log.map(
        (l) => html`<div class="${l.level}"><time datetime="${l.at.toISOString()}">${formatDate(l.at)}</time>${l.message}</div>`,
      )}</div>`
    : html`<p class="empty">No log lines yet.</p>`
}`,
  });
};
