/**
 * Small Block Kit builders shared by every message kind, and the Slack limits they respect.
 * Pure: data in, JSON-ready objects out.
 */
import type { types } from '@slack/bolt';
import { describeActor, type Actor } from '../../domain/actor.js';
import { cutText } from './fit-lines.js';

export type Block = types.KnownBlock;
export type ButtonElement = types.Button;

/** What every builder returns: `text` is the notification/fallback text, `blocks` the layout. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** Slack's documented limits (messages 50 blocks, home tab 100, section text 3000 chars …). */
export const LIMITS = {
  messageBlocks: 50,
  homeBlocks: 100,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  contextElements: 10,
  fallbackText: 3000,
  /** What a notification shows of a channel message's `text`: keep it to one glanceable line. */
  notificationText: 150,
} as const;

/** Stable action ids: listeners register on these. */
export const ACTIONS = {
  confirm: 'distro_plan_confirm',
  cancel: 'distro_plan_cancel',
  reviewUpgrades: 'distro_review_upgrades',
  /** "Move the target anyway" under a warning about an older build or blocked sites. */
  confirmTarget: 'distro_target_confirm',
  /** Rollout buttons on an upgrade summary (value: the rollout id). */
  rolloutPause: 'distro_rollout_pause',
  rolloutResume: 'distro_rollout_resume',
  rolloutCancel: 'distro_rollout_cancel',
  /** "Roll back" on a finished upgrade summary: puts its migrated sites back on their old platforms. */
  rollbackPlan: 'distro_plan_rollback',
  /** Prefix of URL buttons (Slack still sends an action for them, which must be acked). */
  link: 'distro_link',
} as const;

/** Escapes the three characters Slack treats as control characters in mrkdwn. */
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** User, channel and user-group mentions; kept by `escKeepingMentions` only when listed as trusted. */
const MENTION = /<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+(?:\|[^<>]*)?|!subteam\^[A-Z0-9]+)>/g;

const keepMentions = (s: string, trusted: ReadonlySet<string>): string => {
  let out = '';
  let last = 0;
  for (const m of s.matchAll(MENTION)) {
    out += esc(s.slice(last, m.index)) + (trusted.has(m[0]) ? m[0] : esc(m[0]));
    last = m.index + m[0].length;
  }
  return out + esc(s.slice(last));
};

/**
 * Like `esc`, but leaves working the mentions Distro itself wrote from trusted configuration (`trusted`, e.g. the
 * confirmers); every other mention, such as one a user typed and a message quotes, is escaped and mentions nobody.
 * Inside `code` spans everything is escaped.
 */
export const escKeepingMentions = (s: string, trusted: readonly string[] = []): string => {
  const keep = new Set(trusted);
  return s
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? esc(part) : keepMentions(part, keep)))
    .join('');
};

/** Inline code of an escaped name. */
export const code = (s: string): string => `\`${esc(s)}\``;

export const truncate = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`);

/** "a, b, c …and 4 more": at most `max` items shown (the rest counted, and linked when `moreUrl` is given). */
export const listWithMore = (items: string[], max: number, separator = ', ', moreUrl?: string): string => {
  if (items.length <= max) return items.join(separator);
  return `${items.slice(0, max).join(separator)} ${moreText(items.length - max, moreUrl)}`;
};

/** "…and 12 more", linked to the page that lists them all when there is one. */
export const moreText = (hidden: number, url?: string, what = 'more'): string =>
  url ? `<${url}|…and ${hidden.toLocaleString('en-US')} ${what}>` : `…and ${hidden.toLocaleString('en-US')} ${what}`;

export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true },
});

export const section = (text: string, accessory?: ButtonElement): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: cutText(text, LIMITS.sectionText) },
  ...(accessory ? { accessory } : {}),
});

export const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts.slice(0, LIMITS.contextElements).map((t) => ({ type: 'mrkdwn' as const, text: cutText(t, LIMITS.sectionText) })),
});

export const divider = (): Block => ({ type: 'divider' });

export const actions = (blockId: string, elements: ButtonElement[]): Block => ({ type: 'actions', block_id: blockId, elements });

export const button = (
  text: string,
  actionId: string,
  options: { value?: string; url?: string; style?: 'primary' | 'danger'; confirm?: types.ConfirmationDialog } = {},
): ButtonElement => ({
  type: 'button',
  text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true },
  action_id: actionId,
  ...(options.value !== undefined ? { value: options.value } : {}),
  ...(options.url !== undefined ? { url: options.url } : {}),
  ...(options.style ? { style: options.style } : {}),
  ...(options.confirm ? { confirm: options.confirm } : {}),
});

/** A URL button; its action id is unique per message via `key`. */
export const linkButton = (text: string, url: string, key: string): ButtonElement => button(text, `${ACTIONS.link}_${key}`, { url });

/**
 * Keeps a message within Slack's block limit: when there are too many, the tail is dropped and replaced by a
 * note, but trailing `actions` blocks (Confirm/Cancel) are kept so the message stays usable.
 */
export const withinBlockLimit = (blocks: Block[], max: number = LIMITS.messageBlocks): Block[] => {
  if (blocks.length <= max) return blocks;
  const trailing: Block[] = [];
  let end = blocks.length;
  while (end > 0 && blocks[end - 1]!.type === 'actions') trailing.unshift(blocks[--end]!);
  const room = max - trailing.length - 1;
  const dropped = end - room;
  return [...blocks.slice(0, room), context(`…and ${dropped} more (too long for one Slack message)`), ...trailing];
};

export const message = (text: string, blocks: Block[], max: number = LIMITS.messageBlocks): SlackMessage => ({
  text: cutText(text, LIMITS.fallbackText),
  blocks: withinBlockLimit(blocks, max),
});

/** Slack renders this in the reader's time zone; the fallback is ISO. */
export const slackDate = (d: Date): string =>
  `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${d.toISOString()}>`;

export const mentionUser = (id: string): string => (/^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : esc(id));

export const actorText = (a: Actor): string => (a.kind === 'user' ? mentionUser(a.id) : esc(describeActor(a)));

/** Notification text of a channel message: one short line. */
export const notificationText = (s: string): string => cutText(s, LIMITS.notificationText);

/** A one-section informational reply. */
export const notice = (text: string): SlackMessage => message(text, [section(text)]);
