/**
 * Rollouts on the admin pages: the list, and one rollout with its waves (each site's task and state), why it is
 * paused or waiting, who changed it, and Pause / Resume / Cancel buttons (plain forms: POST, then back here).
 * Pure views: the router loads the data.
 */
import { describeActor } from '../../domain/actor.js';
import { describeProgress, isBaking, type Rollout } from '../../domain/rollout.js';
import type { Task } from '../../domain/task.js';
import { errorSummary } from '../../lib/error-summary.js';
import { LIVE_SCRIPT } from './live-script.js';
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

/** What happened to a rollout, oldest first: created, paused, resumed, policy changes, cancelled, finished. */
const events = (r: Rollout): { at: Date; text: string }[] =>
  [
    { at: r.createdAt, text: `Started by ${describeActor(r.createdBy)}` },
    ...r.waves.flatMap((w) => [
      ...(w.startedAt ? [{ at: w.startedAt, text: `Wave ${w.index + 1}${w.canary ? ' (canary)' : ''} started` }] : []),
      ...(w.finishedAt ? [{ at: w.finishedAt, text: `Wave ${w.index + 1}${w.canary ? ' (canary)' : ''} finished` }] : []),
    ]),
    ...(r.pausedAt ? [{ at: r.pausedAt, text: `Paused by ${r.pausedBy ? describeActor(r.pausedBy) : 'someone'}` }] : []),
    ...(r.resumedAt ? [{ at: r.resumedAt, text: `Resumed by ${r.resumedBy ? describeActor(r.resumedBy) : 'someone'}` }] : []),
    ...(r.notes ?? []).map((n) => ({ at: n.at, text: n.text })),
    ...(r.cancelledAt ? [{ at: r.cancelledAt, text: `Cancelled by ${r.cancelledBy ? describeActor(r.cancelledBy) : 'someone'}` }] : []),
    ...(r.finishedAt && r.state !== 'cancelled' ? [{ at: r.finishedAt, text: `Finished: ${r.state}` }] : []),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());

/**
 * Why a running rollout waits (informational: a maintenance window or the bake time between waves, with the time
 * in the window's zone and UTC as its reason says), or why it paused or failed (an alert).
 */
const banner = (r: Rollout): SafeHtml => {
  const waiting = r.waitingUntil && r.state === 'running';
  if (waiting) {
    return html`<div class="wait-note" id="rollout-waiting" role="status">${r.reason ?? `${isBaking(r) ? 'Baking between waves' : 'Waiting for a maintenance window'}; continues ${formatDate(r.waitingUntil)}.`}</div>`;
  }
  return r.reason ? html`<div class="alert" id="rollout-reason">${r.reason}</div>` : html``;
};

export const renderRolloutPage = (r: Rollout, tasks: Map<string, Task>, targetName: string): SafeHtml => {
  const unfinished = r.state === 'scheduled' || r.state === 'running' || r.state === 'paused';
  const buttons = [
    r.state === 'scheduled' || r.state === 'running' ? actionForm(r, 'pause', 'Pause') : null,
    r.state === 'paused' ? actionForm(r, 'resume', 'Resume') : null,
    unfinished ? actionForm(r, 'cancel', 'Cancel rollout') : null,
  ].filter((b): b is SafeHtml => b !== null);
  // Live like the upgrade page: the regions below refresh in place while it is unfinished.
  return layout({
    title: `Rollout ${r.number}`,
    ...(unfinished ? { refreshSeconds: ROLLOUT_REFRESH_SECONDS } : {}),
    scripts: [LIVE_SCRIPT],
    body: html`<h1>Rollout ${r.number} to <code>${targetName}</code> <span id="rollout-state" data-live>${badge(r.state)}</span></h1>
<div id="rollout-live" data-live>
<p class="sub">${describeProgress(r)} · started by ${describeActor(r.createdBy)} · <a href="/upgrades/${r.planId}">the upgrade</a></p>
${banner(r)}
${buttons.length ? html`<div id="rollout-actions" class="actions">${buttons}</div>` : ''}
<div class="card"><dl class="facts">
<dt>Failure threshold</dt><dd>${Math.round(r.failureThreshold * 100)}% of a wave's sites</dd>
<dt>Created</dt><dd>${formatDate(r.createdAt)}</dd>
<dt>Finished</dt><dd>${formatDate(r.finishedAt)}</dd>
</dl></div>
<h2>Events</h2>
<ol id="rollout-events">${events(r).map((e) => html`<li>${formatDate(e.at)}: ${e.text}</li>`)}</ol>
${r.waves.map(
  (w) => html`<h2>Wave ${w.index + 1}${w.canary ? ' (canary)' : ''} ${badge(w.state)}</h2>
<table class="wave"><thead><tr><th>Site</th><th>State</th><th>Error</th><th>Task</th></tr></thead><tbody>
${w.sites.map((s) => {
  const task = s.taskId ? tasks.get(s.taskId) : undefined;
  return html`<tr><td><a href="${siteHref(s.siteName)}">${s.siteName}</a></td><td>${task ? badge(task.state) : w.state === 'pending' ? 'waiting' : 'not scheduled'}</td>
<td>${task?.state === 'failed' ? html`<span class="err">${errorSummary(task.error)}</span>` : ''}</td>
<td>${task ? html`<a href="${taskHref(task.id)}">#${task.number}</a>` : '—'}${s.attempts?.length ? ` (try ${s.attempts.length + 1})` : ''}</td></tr>`;
})}
</tbody></table>`,
)}
</div>`,
  });
};
