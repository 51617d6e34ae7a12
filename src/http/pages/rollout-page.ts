/**
 * Rollouts on the admin pages: the list, and one rollout with its waves (each site's task and state), why it is
 * paused or waiting, who changed it, and Pause / Resume / Cancel buttons (plain forms: POST, then back here).
 * Pure views: the router loads the data.
 */
import { describeActor } from '../../domain/actor.js';
import { describeProgress, type Rollout } from '../../domain/rollout.js';
import type { Task } from '../../domain/task.js';
import { firstErrorLine } from '../../lib/first-error-line.js';
import { html, type SafeHtml } from '../html.js';
import { actionButton } from './forms/form-parts.js';
import { badge, formatDate, layout } from './layout.js';
import { siteHref, taskHref } from './links.js';

/** How often the page of an unfinished rollout reloads itself. */
export const ROLLOUT_REFRESH_SECONDS = 10;

export const rolloutHref = (r: Pick<Rollout, 'number'>): string => `/rollouts/${r.number}`;

const siteCount = (r: Rollout): number => r.waves.reduce((n, w) => n + w.sites.length, 0);

export const renderRolloutList = (rollouts: Rollout[], total: number): SafeHtml =>
  layout({
    title: 'Rollouts',
    body: html`<h1>Rollouts</h1>
<p class="sub">${total} in all; the newest ${rollouts.length} below.</p>
${
  rollouts.length
    ? html`<table id="rollouts"><thead><tr><th>Rollout</th><th>State</th><th>Progress</th><th>Sites</th><th>Created</th></tr></thead><tbody>
${rollouts.map(
  (r) => html`<tr><td><a href="${rolloutHref(r)}">Rollout ${r.number}</a></td><td>${badge(r.state)}</td><td>${describeProgress(r)}</td>
<td>${siteCount(r)}</td><td>${formatDate(r.createdAt)}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">No rollouts yet: Confirm on an upgrade starts one.</p>`
}`,
  });

const actionForm = (r: Rollout, action: 'pause' | 'resume' | 'cancel', label: string): SafeHtml =>
  actionButton(`${rolloutHref(r)}/${action}`, label, {}, action === 'cancel' ? 'danger' : '');

export const renderRolloutPage = (r: Rollout, tasks: Map<string, Task>, targetName: string): SafeHtml => {
  const unfinished = r.state === 'scheduled' || r.state === 'running' || r.state === 'paused';
  const buttons = [
    r.state === 'scheduled' || r.state === 'running' ? actionForm(r, 'pause', 'Pause') : null,
    r.state === 'paused' ? actionForm(r, 'resume', 'Resume') : null,
    unfinished ? actionForm(r, 'cancel', 'Cancel rollout') : null,
  ].filter((b): b is SafeHtml => b !== null);
  return layout({
    title: `Rollout ${r.number}`,
    ...(unfinished ? { refreshSeconds: ROLLOUT_REFRESH_SECONDS } : {}),
    body: html`<h1>Rollout ${r.number} to <code>${targetName}</code> ${badge(r.state)}</h1>
<p class="sub">${describeProgress(r)} · started by ${describeActor(r.createdBy)} · <a href="/upgrades/${r.planId}">the upgrade</a></p>
${r.waitingUntil && r.state === 'running' ? html`<div class="alert" id="rollout-waiting">Waiting for a maintenance window; continues at ${formatDate(r.waitingUntil)}.</div>` : ''}
${r.reason && !(r.waitingUntil && r.state === 'running') ? html`<div class="alert" id="rollout-reason">${r.reason}</div>` : ''}
${buttons.length ? html`<div id="rollout-actions">${buttons}</div>` : ''}
<div class="card"><dl class="facts">
<dt>Failure threshold</dt><dd>${Math.round(r.failureThreshold * 100)}% of a wave's sites</dd>
<dt>Created</dt><dd>${formatDate(r.createdAt)}</dd>
${r.pausedBy ? html`<dt>Paused</dt><dd>by ${describeActor(r.pausedBy)} at ${formatDate(r.pausedAt)}</dd>` : ''}
${r.resumedBy ? html`<dt>Resumed</dt><dd>by ${describeActor(r.resumedBy)} at ${formatDate(r.resumedAt)}</dd>` : ''}
${r.cancelledBy ? html`<dt>Cancelled</dt><dd>by ${describeActor(r.cancelledBy)} at ${formatDate(r.cancelledAt)}</dd>` : ''}
<dt>Finished</dt><dd>${formatDate(r.finishedAt)}</dd>
</dl></div>
${r.waves.map(
  (w) => html`<h2>Wave ${w.index + 1}${w.canary ? ' (canary)' : ''} ${badge(w.state)}</h2>
<table class="wave"><thead><tr><th>Site</th><th>State</th><th>Task</th><th>Error</th></tr></thead><tbody>
${w.sites.map((s) => {
  const task = s.taskId ? tasks.get(s.taskId) : undefined;
  return html`<tr><td><a href="${siteHref(s.siteName)}">${s.siteName}</a></td><td>${task ? badge(task.state) : w.state === 'pending' ? 'waiting' : 'not scheduled'}</td>
<td>${task ? html`<a href="${taskHref(task.id)}">#${task.number}</a>` : '—'}${s.attempts?.length ? ` (try ${s.attempts.length + 1})` : ''}</td>
<td>${task?.state === 'failed' ? firstErrorLine(task.error ?? '') : ''}</td></tr>`;
})}
</tbody></table>`,
)}`,
  });
};
