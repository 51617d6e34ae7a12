/** Replies to `/distro target`: the change made, or a warning with an explicit "Move the target anyway". */
import { ValidationError } from '../../domain/errors.js';
import { plural } from '../../lib/plural.js';
import type { TargetChange } from '../../services/distribution-service.js';
import type { TargetImpact } from '../../services/upgrade-service.js';
import { ACTIONS, actions, button, code, context, listWithMore, message, notice, section, type SlackMessage } from './kit.js';

export const targetChangedMessage = (change: TargetChange): SlackMessage => {
  const d = change.distribution;
  if (!change.changed) return notice(`${code(change.target.name)} already is the upgrade target of ${code(d.slug)}; nothing changed.`);
  return notice(
    `:dart: ${code(change.target.name)} is now the upgrade target of ${code(d.slug)}` +
      (change.locked.length ? `; ${plural(change.locked.length, 'other platform')} locked.` : '.') +
      (d.channel ? ` Announced in <#${d.channel}>.` : ''),
  );
};

/** Button value: the change the warning describes, refused later if the target moved meanwhile. */
export interface TargetMove {
  distributionId: string;
  platformId: string;
  fromTargetId: string | null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const targetMoveValue = (m: TargetMove): string => [m.distributionId, m.platformId, m.fromTargetId ?? ''].join(':');

export const parseTargetMove = (value: string): TargetMove => {
  const [distributionId = '', platformId = '', fromTargetId = ''] = value.split(':');
  if (!ID.test(distributionId) || !ID.test(platformId) || (fromTargetId && !ID.test(fromTargetId)) || value.split(':').length !== 3) {
    throw new ValidationError('This button does not name a target change; run `target` again.');
  }
  return { distributionId, platformId, fromTargetId: fromTargetId || null };
};

/** What is risky about the change, one line each. */
const riskLines = (i: TargetImpact): string[] => {
  const lines: string[] = [];
  if (i.current && i.older) lines.push(`:rewind: ${code(i.target.name)} is an *older build* than the current target ${code(i.current.name)}.`);
  if (i.downgrades) lines.push(`:arrow_down: Sites that upgrade to it get *${plural(i.downgrades, 'package downgrade')}* compared with ${code(i.current?.name ?? '')}.`);
  if (i.blocked.length) {
    const sites = i.blocked.reduce((n, b) => n + b.sites, 0);
    lines.push(
      `:no_entry: ${plural(sites, 'site')} on ${listWithMore(i.blocked.map((b) => code(b.platform.name)), 5)} could *not* be upgraded to it (compare errors).`,
    );
  }
  return lines;
};

export const targetWarningMessage = (i: TargetImpact): SlackMessage => {
  const what = `${code(i.target.name)} the upgrade target of ${code(i.distribution.slug)}`;
  const move = targetMoveValue({ distributionId: i.distribution.id, platformId: i.target.id, fromTargetId: i.current?.id ?? null });
  return message(`Making ${i.target.name} the target of ${i.distribution.slug} needs a confirmation.`, [
    section(`:warning: Making ${what} needs a second look:\n${riskLines(i).join('\n')}`),
    context(
      'If you go ahead, every other platform is locked, sites off the target show as out of date, and the change is announced' +
        `${i.distribution.channel ? ` in <#${i.distribution.channel}>` : ''}. Nothing migrates until someone confirms an upgrade.`,
    ),
    actions('target_confirm', [
      button('Move the target anyway', ACTIONS.confirmTarget, {
        value: move,
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Move the upgrade target?' },
          text: { type: 'mrkdwn', text: `Make ${what}?` },
          confirm: { type: 'plain_text', text: 'Move it' },
          deny: { type: 'plain_text', text: 'Keep the current target' },
        },
      }),
    ]),
  ]);
};
