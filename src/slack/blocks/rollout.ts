/**
 * A rollout in Slack: its state line and Pause / Resume / Cancel buttons on the upgrade summary, the notice posted
 * in the summary's thread and the channel when a failing wave paused it, and `/distro rollouts`.
 */
import { describeProgress, isBaking, type Rollout } from '../../domain/rollout.js';
import { plural } from '../../lib/plural.js';
import { ACTIONS, actions, actorText, button, esc, message, section, slackDate, type Block, type ButtonElement, type SlackMessage } from './kit.js';

const ICON: Record<Rollout['state'], string> = {
  scheduled: ':calendar:',
  running: ':arrow_forward:',
  paused: ':double_vertical_bar:',
  done: ':checkered_flag:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/** "Rollout 3 · running · wave 2 of 4 (canary)", with who paused/cancelled it and why. */
export const rolloutLine = (r: Rollout): string => {
  const parts = [`${ICON[r.state]} *Rollout ${r.number}* · ${r.state} · ${describeProgress(r)}`];
  if (r.state === 'paused' && r.pausedBy) parts.push(`paused by ${actorText(r.pausedBy)}${r.pausedAt ? ` ${slackDate(r.pausedAt)}` : ''}`);
  if (r.state === 'cancelled' && r.cancelledBy) parts.push(`cancelled by ${actorText(r.cancelledBy)}`);
  let text = parts.join(' · ');
  if (r.waitingUntil && r.state === 'running') {
    text += `\n:clock3: ${isBaking(r) ? 'Baking between waves' : 'Waiting for a maintenance window'}; continues ${slackDate(r.waitingUntil)}.`;
  }
  else if (r.reason) text += `\n${esc(r.reason.slice(0, 1500))}`;
  return text;
};

/** Buttons for the states they apply to (permission: the same as Confirm). */
export const rolloutButtons = (r: Rollout): ButtonElement[] => {
  const out: ButtonElement[] = [];
  if (r.state === 'scheduled' || r.state === 'running') out.push(button('Pause', ACTIONS.rolloutPause, { value: r.id }));
  if (r.state === 'paused') out.push(button('Resume', ACTIONS.rolloutResume, { value: r.id, style: 'primary' }));
  if (r.state === 'scheduled' || r.state === 'running' || r.state === 'paused') {
    out.push(
      button('Cancel rollout', ACTIONS.rolloutCancel, {
        value: r.id,
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Cancel the rollout?' },
          text: { type: 'mrkdwn', text: 'Queued migrations are cancelled; running ones finish. Sites already moved stay on the new platform.' },
          confirm: { type: 'plain_text', text: 'Cancel rollout' },
          deny: { type: 'plain_text', text: 'Keep going' },
        },
      }),
    );
  }
  return out;
};

/** The rollout's part of an upgrade summary. */
export const rolloutBlocks = (r: Rollout): Block[] => {
  const buttons = rolloutButtons(r);
  return [section(rolloutLine(r)), ...(buttons.length ? [actions(`rollout_${r.id}`, buttons)] : [])];
};

/**
 * Posted in the summary's thread and its channel when a wave's failures paused the rollout. With `pageUrl` (the
 * rollout's page), it links there: a rollout confirmed on the pages has no summary in Slack to resume it from.
 */
export const rolloutPausedMessage = (r: Rollout, slashCommand: string, pageUrl?: string): SlackMessage => {
  const where = pageUrl ? `<${pageUrl}|its page>, ` : 'the Resume button on the summary, ';
  const text =
    `:double_vertical_bar: *Rollout ${r.number} paused*: ${esc((r.reason ?? 'a wave failed').slice(0, 2000))}\n` +
    `Nothing else is started until someone resumes it (${where}or \`${slashCommand} resume ${r.number}\`).`;
  return message(`Rollout ${r.number} paused`, [section(text)]);
};

/** `/distro rollouts`. */
export const rolloutListMessage = (rollouts: Rollout[]): SlackMessage => {
  if (!rollouts.length) return message('No rollouts yet', [section('No rollouts yet: Confirm on an upgrade summary starts one.')]);
  const lines = rollouts.map((r) => `${rolloutLine(r).split('\n')[0]} · ${plural(r.waves.reduce((n, w) => n + w.sites.length, 0), 'site')}`);
  return message(`${plural(rollouts.length, 'rollout')}`, [section(lines.join('\n'))]);
};
