/** Page fragments for manual locks and pins (who, when, why) and for a site's rollback (possible until when, or why not). */
import { describeActor } from '../../domain/actor.js';
import type { Hold } from '../../domain/hold.js';
import type { RollbackStatus } from '../../services/rollback-service.js';
import { html, type SafeHtml } from '../html.js';
import { may } from './page-context.js';
import { badge, formatDate } from './layout.js';
import { siteHref } from './links.js';

/** `locked by alice on <date>: reason`, for a facts list or a table cell. */
export const holdText = (h: Hold): SafeHtml =>
  html`${badge('locked', h.kind === 'platform' ? 'locked by hand' : 'pinned')} by ${describeActor(h.by)} on ${formatDate(h.at)}: <em>${h.reason}</em>`;

/** A facts-list row for a hold, or nothing. */
export const holdFact = (label: string, h: Hold | null | undefined): SafeHtml => (h ? html`<dt>${label}</dt><dd>${holdText(h)}</dd>` : html``);

/** What a rollback does, for the site page and its confirmation step. */
export const rollbackSentence = (r: Extract<RollbackStatus, { possible: true }>): SafeHtml =>
  html`Back to <strong>${r.previous.name}</strong> from the backup taken before task #${r.migration.number}, possible until ${formatDate(r.until)}.
Changes made since are replaced.`;

/** The site page's rollback row: a link to the confirmation step while the backup is kept (operators), else the reason. */
export const rollbackFact = (r: RollbackStatus | undefined): SafeHtml => {
  if (!r) return html``;
  if (!r.possible) return html`<dt>Rollback</dt><dd class="empty">${r.reason}</dd>`;
  return html`<dt>Rollback</dt><dd>${rollbackSentence(r)}${may('site.rollback') ? html` <a class="button" href="${siteHref(r.site.name)}/rollback">Roll back to ${r.previous.name}…</a>` : ''}</dd>`;
};
