/** Manual locks and pins in Slack: one line saying who held what, when and why, and the replies to lock/pin. */
import type { Hold } from '../../domain/hold.js';
import { HOLD_WORD } from '../../domain/hold.js';
import type { HoldChange } from '../../services/hold-service.js';
import { actorText, code, esc, notice, slackDate, type SlackMessage } from './kit.js';

const ICON = { locked: ':lock:', pinned: ':pushpin:' } as const;

/** `:lock: locked by @alice <date>: "reason"` */
export const holdLine = (h: Hold): string => {
  const word = HOLD_WORD[h.kind];
  return `${ICON[word]} ${word} by ${actorText(h.by)} ${slackDate(h.at)}: _${esc(h.reason)}_`;
};

export const holdSetMessage = (c: HoldChange, slashCommand: string): SlackMessage => {
  const word = HOLD_WORD[c.hold.kind];
  const effect =
    c.hold.kind === 'platform'
      ? 'No new sites may be created on it and it cannot become the upgrade target'
      : c.hold.kind === 'site'
        ? 'It is left out of upgrades (shown as held)'
        : 'Its sites are left out of upgrades';
  const undo = `${slashCommand} ${c.hold.kind === 'platform' ? 'unlock' : 'unpin'} ${c.subject.name}`;
  return notice(
    `${ICON[word]} ${code(c.subject.name)} is ${word}: _${esc(c.hold.reason)}_` +
      (c.previous ? ` (was: _${esc(c.previous.reason)}_)` : '') +
      `. ${effect} until \`${esc(undo)}\`.`,
  );
};

export const holdClearedMessage = (c: HoldChange): SlackMessage => {
  const word = HOLD_WORD[c.hold.kind];
  const still = c.hold.kind === 'platform' ? ' (a platform that is not its distribution\'s target stays locked automatically)' : '';
  return notice(`:unlock: ${code(c.subject.name)} is no longer ${word} by hand (it was: _${esc(c.hold.reason)}_)${still}.`);
};
