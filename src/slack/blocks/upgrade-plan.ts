/**
 * The upgrade summary message, in every state of its plan: pending (Confirm/Cancel), blocked (no Confirm),
 * stale, cancelled, and confirmed (per-site task progress, no buttons). The same message is re-rendered
 * with chat.update as the plan and its tasks change.
 */
import type { TaskState } from '../../domain/task.js';
import type { PlanView } from '../../services/upgrade-service.js';
import { countsLine, needsCare, notableLines } from './compare-summary.js';
import {
  ACTIONS,
  actions,
  actorText,
  button,
  code,
  context,
  esc,
  header,
  linesWithin,
  linkButton,
  listWithMore,
  message,
  section,
  type Block,
  type ButtonElement,
  type SlackMessage,
} from './kit.js';

export interface PlanMessageOptions {
  /** Signed Compare page URL for a source platform → target. */
  compareUrl: (fromPlatformId: string, toPlatformId: string) => string;
  /** Sites left out when the plan was confirmed. */
  skipped?: { site: string; reason: string }[];
}

export const TASK_ICON: Record<TaskState, string> = {
  queued: ':hourglass_flowing_sand:',
  processing: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

/** Shown per group; more platforms than this are summarised in one line. */
const MAX_GROUPS = 10;
const MAX_SITES_PER_GROUP = 15;

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

const stateLine = (view: PlanView): string | null => {
  const { plan } = view;
  if (plan.state === 'cancelled') return `:no_entry_sign: *Cancelled* by ${plan.confirmedBy ? actorText(plan.confirmedBy) : 'someone'}.`;
  if (plan.state === 'confirmed') {
    const counts = new Map<TaskState, number>();
    for (const t of view.tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    const parts = [...counts].map(([state, count]) => `${count} ${state}`);
    return `:white_check_mark: *Confirmed* by ${plan.confirmedBy ? actorText(plan.confirmedBy) : 'someone'}` + (parts.length ? ` — ${parts.join(' · ')}` : '') + '.';
  }
  if (view.stale) {
    return `:hourglass: *Out of date:* the upgrade target of ${code(view.distribution.slug)} changed since this summary. Use the fresh summary, or run \`upgrade\` again.`;
  }
  return null;
};

/** One line per moving site with its task state (confirmed plans). */
const progressLines = (view: PlanView, skipped: PlanMessageOptions['skipped']): string[] => {
  const bySite = new Map(view.tasks.map((t) => [t.subject.id, t]));
  const lines = view.plan.moves.map((m) => {
    const task = bySite.get(m.siteId);
    if (!task) {
      const why = skipped?.find((s) => s.site === m.siteName)?.reason ?? 'not scheduled';
      return `:heavy_minus_sign: ${code(m.siteName)} — skipped (${esc(why)})`;
    }
    return `${TASK_ICON[task.state]} ${code(m.siteName)} — ${task.state} (task #${task.number})`;
  });
  return lines;
};

const groupBlocks = (view: PlanView, options: PlanMessageOptions): Block[] => {
  const blocks: Block[] = [];
  view.groups.slice(0, MAX_GROUPS).forEach((g, i) => {
    const marks = (g.compare.counts.errors > 0 ? ' :no_entry:' : '') + (needsCare(g.compare.counts) ? ' :warning:' : '');
    const sites = listWithMore(
      g.sites.map((s) => code(s.name)),
      MAX_SITES_PER_GROUP,
    );
    blocks.push(
      section(
        `*From ${code(g.from.name)} → ${code(view.target.name)}*${marks}\n${plural(g.sites.length, 'site')}: ${sites}`,
        linkButton('Compare', options.compareUrl(g.from.id, view.target.id), String(i)),
      ),
      context(countsLine(g.compare.counts)),
    );
    const notable = notableLines(g.compare);
    if (notable.length) blocks.push(section(notable.join('\n')));
  });
  const rest = view.groups.slice(MAX_GROUPS);
  if (rest.length) {
    const sites = rest.reduce((total, g) => total + g.sites.length, 0);
    blocks.push(context(`…and ${plural(rest.length, 'more platform')} with ${plural(sites, 'site')}: ${listWithMore(rest.map((g) => code(g.from.name)), 10)}`));
  }
  return blocks;
};

const buttons = (view: PlanView): Block[] => {
  const { plan } = view;
  if (plan.state !== 'pending' || view.stale) return [];
  const cancel = button('Cancel', ACTIONS.cancel, { value: plan.id });
  if (plan.blocked) {
    // In a batch, platforms without errors can still be upgraded on their own.
    const clean = view.groups.filter((g) => g.compare.counts.errors === 0).map((g) => code(`upgrade --platform ${g.from.name}`));
    const instead = clean.length && clean.length < view.groups.length ? ` The others can go on their own: ${listWithMore(clean, 5)}.` : '';
    return [
      section(`:no_entry: *Cannot be confirmed:* the compare found errors (marked :no_entry: above). Fix them, or choose another target.${instead}`),
      actions(`plan_${plan.id}`, [cancel]),
    ];
  }
  const sites = plan.moves.length;
  const confirm: ButtonElement = button('Confirm', ACTIONS.confirm, {
    value: plan.id,
    style: 'primary',
    confirm: {
      title: { type: 'plain_text', text: 'Upgrade sites?' },
      text: {
        type: 'mrkdwn',
        text: `Migrate ${plural(sites, 'site')} to ${code(view.target.name)}? Each site is backed up first and rolled back if its migration fails.`,
      },
      confirm: { type: 'plain_text', text: 'Upgrade' },
      deny: { type: 'plain_text', text: 'Not now' },
    },
  });
  return [actions(`plan_${plan.id}`, [confirm, cancel])];
};

export const planMessage = (view: PlanView, options: PlanMessageOptions): SlackMessage => {
  const { plan, distribution, target } = view;
  const sites = plan.moves.length;
  const platforms = view.groups.length;
  const blocks: Block[] = [
    header(`Upgrade ${plural(sites, 'site')} to ${target.name}`),
    section(
      `*${esc(distribution.title)}* (${code(distribution.slug)}): ${plural(sites, 'site')} on ${plural(platforms, 'platform')} ` +
        `move to the upgrade target ${code(target.name)}. Requested by ${actorText(plan.requestedBy)}.`,
    ),
  ];
  const state = stateLine(view);
  if (state) blocks.push(section(state));
  if (plan.state === 'confirmed') blocks.push(section(linesWithin(progressLines(view, options.skipped))));
  blocks.push(...groupBlocks(view, options), ...buttons(view), context(`Plan \`${plan.id}\``));
  const counts = view.groups.map((g) => `${g.from.name}: ${countsLine(g.compare.counts)}`).join('; ');
  return message(`Upgrade ${plural(sites, 'site')} of ${distribution.slug} to ${target.name} (${plan.state}). ${counts}`, blocks);
};
