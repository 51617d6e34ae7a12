/**
 * The buttons each existing page shows, by the viewer's role (page-context.ts): one slot per page, so the views
 * only place them. Every state change is a POST form with the CSRF field; destructive ones link to a confirm page.
 */
import type { Distribution } from '../../../domain/distribution.js';
import type { Hold } from '../../../domain/hold.js';
import type { Platform } from '../../../domain/platform.js';
import type { Site } from '../../../domain/site.js';
import type { Task } from '../../../domain/task.js';
import type { PlanView } from '../../../services/upgrade-service.js';
import { plural } from '../../../lib/plural.js';
import { html, type SafeHtml } from '../../html.js';
import { compareHref, distributionHref, platformHref, siteHref, taskHref } from '../links.js';
import { may } from '../page-context.js';
import { actionButton, csrfField } from './form-parts.js';

const bar = (items: (SafeHtml | '' | false | null | undefined)[]): SafeHtml => {
  const shown = items.filter(Boolean);
  return shown.length ? html`<div class="actions">${shown}</div>` : html``;
};

/** Lock or pin with a reason (a one-field form), or lift the one there is. */
const holdControl = (base: string, word: 'lock' | 'pin', hold: Hold | null | undefined): SafeHtml =>
  hold
    ? actionButton(`${base}/un${word}`, word === 'lock' ? 'Unlock' : 'Unpin')
    : html`<form method="post" action="${base}/${word}" class="inline hold">${csrfField()}<label>Reason <input name="reason" required maxlength="500" placeholder="${word === 'lock' ? 'security review' : 'waiting for client sign-off'}"></label> <button type="submit">${word === 'lock' ? 'Lock' : 'Pin'}</button></form>`;

export const upgradeButton = (kind: 'site' | 'platform' | 'distribution', name: string, label: string): SafeHtml | '' =>
  may('upgrade.propose') ? actionButton('/upgrades', label, { kind, name }, 'primary') : '';

/** The empty dashboard's next step, saying what is true for this viewer. */
export const dashboardEmptyText = (): string =>
  may('distribution.create')
    ? 'No distributions yet. Create one with the button above, or with POST /api/distributions (see GET /api).'
    : 'No distributions yet. An admin creates them here or with POST /api/distributions.';

export const dashboardActions = (): SafeHtml =>
  bar([may('distribution.create') && html`<a class="button primary" href="/new-distribution">New distribution</a>`]);

/** A button that cannot succeed now: shown disabled, with the reason beside it (announced with the button). */
const disabledButton = (id: string, label: string, reason: string): SafeHtml =>
  html`<button type="button" disabled aria-describedby="${id}">${label}</button> <span class="reason" id="${id}">${reason}</span>`;

export const distributionActions = (d: Distribution, outdated: number, pin?: Hold | null, platforms = 0): SafeHtml => {
  const href = distributionHref(d.slug);
  return bar([
    d.targetPlatformId && outdated > 0 && upgradeButton('distribution', d.slug, `Upgrade ${outdated} outdated site${outdated === 1 ? '' : 's'}`),
    d.upstream && may('distribution.poll') && actionButton(`${href}/poll`, 'Poll now'),
    d.upstream && html`<a class="button" href="${href}/releases">Releases</a>`,
    d.targetPlatformId && may('site.create') && html`<a class="button" href="/new-site?distribution=${d.slug}">Add a site</a>`,
    may('distribution.edit') && html`<a class="button" href="${href}/edit">Edit</a>`,
    may('distribution.delete') &&
      (platforms > 0
        ? disabledButton('delete-why', 'Delete', `It has ${plural(platforms, 'platform')}; delete them first.`)
        : html`<a class="button" href="${href}/delete">Delete</a>`),
    may('distribution.pin') && holdControl(href, 'pin', pin),
  ]);
};

/** "Make target" in a platform's row of the distribution page. */
export const setTargetButton = (d: Distribution, p: Platform, isTarget: boolean): SafeHtml | '' =>
  !isTarget && (p.status === 'ready' || p.status === 'locked') && may('distribution.target')
    ? actionButton(`${distributionHref(d.slug)}/target`, 'Make target', { platform: p.name })
    : '';

/** Delete, or why not (the same refusals as PlatformService.delete, said before anyone tries). */
const platformDelete = (p: Platform, target: Platform | null, sites: number): SafeHtml | false =>
  may('platform.delete') &&
  (target?.id === p.id
    ? disabledButton('delete-why', 'Delete', 'It is the upgrade target; choose another target first.')
    : sites > 0
      ? disabledButton('delete-why', 'Delete', `It hosts ${plural(sites, 'site')}; migrate or delete them first.`)
      : html`<a class="button" href="${platformHref(p.name)}/delete">Delete</a>`);

export const platformActions = (p: Platform, target: Platform | null, lock?: Hold | null, sites = 0): SafeHtml =>
  bar([
    may('platform.lock') && holdControl(platformHref(p.name), 'lock', lock),
    target && target.id !== p.id && upgradeButton('platform', p.name, 'Upgrade its sites to the target'),
    p.status === 'ready' && may('site.create') && (lock ? disabledButton('add-site-why', 'Add a site here', 'Locked by hand: no new sites until it is unlocked.') : html`<a class="button" href="/new-site?platform=${p.name}">Add a site here</a>`),
    platformDelete(p, target, sites),
  ]);

export const siteActions = (s: Site, upgradable: boolean, pin?: Hold | null): SafeHtml =>
  bar([
    may('site.pin') && holdControl(siteHref(s.name), 'pin', pin),
    upgradable && upgradeButton('site', s.name, 'Upgrade'),
    may('site.edit') && html`<a class="button" href="${siteHref(s.name)}/edit">Edit</a>`,
    may('site.delete') && html`<a class="button" href="${siteHref(s.name)}/delete">Delete</a>`,
  ]);

export const taskActions = (t: Task): SafeHtml =>
  bar([t.state === 'queued' && may('task.cancel') && html`<a class="button" href="${taskHref(t.id)}/cancel">Cancel task</a>`]);

/** The plan page's Compare summary (per source platform) and its Confirm / Cancel. */
export const planActions = (view: PlanView): SafeHtml => {
  const { plan } = view;
  const pending = plan.state === 'pending';
  const canConfirm = pending && !view.stale && !plan.blocked && view.movable > 0;
  const why = !pending ? '' : view.stale ? 'The target changed since this plan was made; make a new one.' : plan.blocked ? 'It has errors (see Compare); it cannot be confirmed.' : view.movable === 0 ? 'Nothing is left to move.' : '';
  return html`<h2>Compare summary</h2>
<table id="plan-compare"><thead><tr><th>From</th><th class="num">Sites</th><th class="num">Upgrades</th><th class="num">Downgrades</th><th class="num">Added</th><th class="num">Missing</th><th class="num">Security fixes</th><th class="num">Errors</th><th></th></tr></thead><tbody>
${view.groups.map(
  (g) => html`<tr><td><a href="${platformHref(g.from.name)}">${g.from.name}</a></td><td class="num">${g.sites.length}</td><td class="num">${g.compare.counts.upgrade}</td>
<td class="num">${g.compare.counts.downgrade}</td><td class="num">${g.compare.counts.added}</td><td class="num">${g.compare.counts.missing}</td><td class="num">${g.compare.counts.securityFixes}</td>
<td class="num">${g.compare.counts.errors}</td><td><a href="${compareHref(g.from.name, view.target.name)}">Compare</a></td></tr>`,
)}
</tbody></table>
${why ? html`<p class="sub" id="plan-why">${why}</p>` : ''}
${canConfirm && view.preview ? html`<p class="card" id="plan-preview"><strong>Rollout plan:</strong> ${view.preview}</p>` : ''}
${bar([
  canConfirm && may('upgrade.confirm') && actionButton(`/upgrades/${plan.id}/confirm`, `Confirm: move ${view.movable} site${view.movable === 1 ? '' : 's'}`, {}, 'primary'),
  pending && may('upgrade.cancel') && html`<a class="button" href="/upgrades/${plan.id}/cancel">Cancel</a>`,
])}`;
};
