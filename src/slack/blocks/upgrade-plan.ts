/**
 * The upgrade summary message, in every state of its plan: pending (Confirm/Cancel), blocked (no Confirm),
 * stale, cancelled, and confirmed (per-site task progress, no buttons). The same message is re-rendered
 * with chat.update as the plan and its tasks change.
 */
import type { Task, TaskState } from '../../domain/task.js';
import { interruptionsOf } from '../../domain/task-progress.js';
import type { PlanSkip } from '../../domain/upgrade-plan.js';
import { errorSummary } from '../../lib/error-summary.js';
import { plural } from '../../lib/plural.js';
import type { PlanView } from '../../services/upgrade-service.js';
import { countsLine, needsCare, notableLines } from './compare-summary.js';
import { fitLines } from './fit-lines.js';
import { rolloutBlocks } from './rollout.js';
import { rolloutPreviewBlocks } from './rollout-preview.js';
import { latestPerSite } from '../../domain/rollout-progress.js';
import { holdLine } from './holds.js';
import {
  ACTIONS,
  actions,
  actorText,
  button,
  code,
  context,
  esc,
  header,
  linkButton,
  listWithMore,
  message,
  moreText,
  notificationText,
  section,
  type Block,
  type ButtonElement,
  type SlackMessage,
} from './kit.js';

export interface PlanMessageOptions {
  /** Signed Compare page URL for a source platform → target. */
  compareUrl: (fromPlatformId: string, toPlatformId: string) => string;
  /** The page of one security advisory event (security fixes link to it). */
  advisoryUrl?: (eventId: string) => string;
  /** Signed task log URL. */
  taskUrl?: (taskId: string) => string;
  /** Signed page with every site and task of the plan (where "…and N more" leads). */
  planUrl?: (planId: string) => string;
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
/** Up to this many moves, succeeded sites are named too; above it they are a count. */
const NAME_SUCCEEDED_UP_TO = 10;
/** Site names shown per waiting wave; the plan's page lists them all. */
const WAITING_NAMES_PER_WAVE = 12;

interface WaitingWave {
  /** 1-based, as the rollout line counts them ("wave 2 of 4"). */
  number: number;
  canary: boolean;
  sites: string[];
}

const waitingCount = (p: Progress): number => p.waiting.reduce((n, w) => n + w.sites.length, 0);

/** Where each move of a confirmed plan stands, in the order a human should look at them. */
interface Progress {
  failed: Array<{ siteName: string; task: Task }>;
  processing: Array<{ siteName: string; task: Task }>;
  queued: Array<{ siteName: string; task: Task }>;
  /** Confirm is still going through the moves: no task yet, not skipped either. */
  scheduling: string[];
  /** In a later wave of the rollout (or one a pause or a maintenance window holds back): no task yet, per wave. */
  waiting: WaitingWave[];
  cancelled: Array<{ siteName: string; task: Task }>;
  skipped: PlanSkip[];
  succeeded: Array<{ siteName: string; task: Task }>;
  /** Tasks a crash cut and that were retried (not failures of their sites). */
  interrupted: number;
}

const progressOf = (view: PlanView): Progress => {
  // Each site's latest attempt (one home for the rule: rollout-progress.ts), as pages and the API count.
  const bySite = new Map(latestPerSite(view.tasks).map((t) => [t.subject.id, t]));
  const skipped = view.plan.skipped ?? [];
  const skippedNames = new Set(skipped.map((s) => s.site));
  const p: Progress = { failed: [], processing: [], queued: [], scheduling: [], waiting: [], cancelled: [], skipped: [...skipped], succeeded: [], interrupted: 0 };
  const r = view.rollout;
  // Site id → its wave, for the sites a wave still has to start.
  const waveOf = new Map<string, WaitingWave>();
  if (r && (r.state === 'scheduled' || r.state === 'running' || r.state === 'paused')) {
    r.waves.forEach((w, i) => {
      if (w.state === 'done') return;
      const wave: WaitingWave = { number: i + 1, canary: w.canary, sites: [] };
      for (const s of w.sites) if (!s.taskId || w.state === 'pending') waveOf.set(s.siteId, wave);
    });
  }
  for (const m of view.plan.moves) {
    const task = bySite.get(m.siteId);
    if (task && interruptionsOf(task)) p.interrupted += 1;
    const wave = waveOf.get(m.siteId);
    if (wave && (!task || task.state === 'failed' || task.state === 'cancelled')) {
      if (!wave.sites.length) p.waiting.push(wave);
      wave.sites.push(m.siteName);
    }
    else if (task) p[task.state].push({ siteName: m.siteName, task });
    // Older records have no `skipped` (undefined): their Confirm finished, so a missing task was skipped.
    else if (view.plan.skipped === null) p.scheduling.push(m.siteName);
    else if (!skippedNames.has(m.siteName)) p.skipped.push({ site: m.siteName, reason: 'not scheduled' });
  }
  return p;
};

const taskRef = (task: Task, options: PlanMessageOptions): string =>
  (options.taskUrl ? `<${options.taskUrl(task.id)}|task #${task.number}>` : `task #${task.number}`) +
  (interruptionsOf(task) ? ` · interrupted by a restart, retried` : '');

/** "3 failed · 4 running · 20 queued · 973 succeeded": only the states that occur, the urgent ones first. */
const countsText = (p: Progress): string =>
  [
    p.failed.length ? `:x: ${p.failed.length.toLocaleString('en-US')} failed` : null,
    p.processing.length ? `:gear: ${p.processing.length.toLocaleString('en-US')} running` : null,
    p.queued.length ? `:hourglass_flowing_sand: ${p.queued.length.toLocaleString('en-US')} queued` : null,
    p.scheduling.length ? `${p.scheduling.length.toLocaleString('en-US')} being scheduled` : null,
    waitingCount(p) ? `:double_vertical_bar: ${waitingCount(p).toLocaleString('en-US')} waiting for a later wave` : null,
    p.succeeded.length ? `:white_check_mark: ${p.succeeded.length.toLocaleString('en-US')} succeeded` : null,
    p.interrupted ? `:repeat: ${p.interrupted.toLocaleString('en-US')} interrupted by a restart, retried` : null,
    p.cancelled.length ? `:no_entry_sign: ${p.cancelled.length.toLocaleString('en-US')} cancelled` : null,
    p.skipped.length ? `:heavy_minus_sign: ${p.skipped.length.toLocaleString('en-US')} not scheduled` : null,
  ]
    .filter(Boolean)
    .join(' · ');

const isFinished = (p: Progress): boolean => !p.processing.length && !p.queued.length && !p.scheduling.length && !waitingCount(p);

const stateLine = (view: PlanView, progress: Progress | null): string | null => {
  const { plan } = view;
  const by = plan.confirmedBy ? actorText(plan.confirmedBy) : 'someone';
  if (plan.state === 'cancelled') return `:no_entry_sign: *Cancelled* by ${by}.`;
  if (plan.state === 'confirmed' && progress) {
    const scheduled = view.tasks.length;
    if (!scheduled && isFinished(progress)) {
      return `:heavy_minus_sign: *Confirmed* by ${by}, but nothing was scheduled: ${plural(progress.skipped.length, 'site')} could not be moved (see below).`;
    }
    const verdict = !isFinished(progress)
      ? progress.scheduling.length
        ? `scheduling (${scheduled.toLocaleString('en-US')} of ${plan.moves.length.toLocaleString('en-US')} so far)`
        : 'in progress'
      : progress.failed.length
        ? '*finished with failures*'
        : '*done*';
    return `:white_check_mark: *Confirmed* by ${by} — ${verdict}: ${countsText(progress)}.`;
  }
  if (view.stale) {
    return `:hourglass: *Out of date:* the upgrade target of ${code(view.distribution.slug)} changed since this summary. Use the fresh summary, or run \`upgrade\` again.`;
  }
  if (plan.state === 'pending' && view.movable === 0) {
    return `:white_check_mark: *Nothing left to move:* every site of this summary is already on ${code(view.target.name)} or moved elsewhere.`;
  }
  return null;
};

/** One titled section per kind of site that needs a look; each says how many it leaves out and links to all. */
const progressBlocks = (view: PlanView, p: Progress, options: PlanMessageOptions): Block[] => {
  const url = options.planUrl?.(view.plan.id);
  const list = (title: string, lines: string[], count = lines.length): Block[] =>
    lines.length
      ? [section(`*${title} (${count.toLocaleString('en-US')})*\n${fitLines(lines, { maxChars: 2800, more: (n) => moreText(n, url) })}`)]
      : [];
  const line = (icon: string, siteName: string, rest: string): string => `${icon} ${code(siteName)} — ${rest}`;
  const blocks = [
    ...list(
      'Failed',
      p.failed.map(({ siteName, task }) =>
        line(TASK_ICON.failed, siteName, `failed: ${esc(errorSummary(task.error, 240, 'see the log'))} · ${taskRef(task, options)}`),
      ),
    ),
    ...list('Running', p.processing.map(({ siteName, task }) => line(TASK_ICON.processing, siteName, `processing (${taskRef(task, options)})`))),
    ...list('Queued', p.queued.map(({ siteName, task }) => line(TASK_ICON.queued, siteName, `queued (${taskRef(task, options)})`))),
    ...list('Being scheduled', p.scheduling.map((siteName) => line(':hourglass:', siteName, 'being scheduled'))),
    // One line per wave, not per site: a 500-site rollout's later waves are a few lines, in wave order.
    ...list(
      'Waiting for a later wave',
      p.waiting
        .sort((a, b) => a.number - b.number)
        .map((w) => `:double_vertical_bar: *Wave ${w.number}*${w.canary ? ' (canary)' : ''}: ${plural(w.sites.length, 'site')}: ${listWithMore(w.sites.sort().map(code), WAITING_NAMES_PER_WAVE, ', ', url)}`),
      waitingCount(p),
    ),
    ...list('Not scheduled', p.skipped.map((s) => line(':heavy_minus_sign:', s.site, `skipped (${esc(s.reason)})`))),
    ...list('Cancelled', p.cancelled.map(({ siteName, task }) => line(TASK_ICON.cancelled, siteName, `cancelled (${taskRef(task, options)})`))),
  ];
  if (p.succeeded.length && view.plan.moves.length <= NAME_SUCCEEDED_UP_TO) {
    blocks.push(...list('Succeeded', p.succeeded.map(({ siteName, task }) => line(TASK_ICON.succeeded, siteName, `succeeded (${taskRef(task, options)})`))));
  } else if (p.succeeded.length) {
    blocks.push(section(`:white_check_mark: *${plural(p.succeeded.length, 'site')} succeeded.*${url ? ` <${url}|All sites and tasks>` : ''}`));
  }
  return blocks;
};

const groupBlocks = (view: PlanView, options: PlanMessageOptions): Block[] => {
  const blocks: Block[] = [];
  view.groups.slice(0, MAX_GROUPS).forEach((g, i) => {
    const marks = (g.compare.counts.errors > 0 ? ' :no_entry:' : '') + (needsCare(g.compare.counts) ? ' :warning:' : '');
    const sites = listWithMore(
      g.sites.map((s) => code(s.name)),
      MAX_SITES_PER_GROUP,
      ', ',
      options.planUrl?.(view.plan.id),
    );
    blocks.push(
      section(
        `*From ${code(g.from.name)} → ${code(view.target.name)}*${marks}\n${plural(g.sites.length, 'site')}: ${sites}`,
        linkButton('Compare', options.compareUrl(g.from.id, view.target.id), String(i)),
      ),
      context(countsLine(g.compare.counts)),
    );
    const notable = notableLines(g.compare, 8, options.advisoryUrl);
    if (notable.length) blocks.push(section(notable.join('\n')));
  });
  const rest = view.groups.slice(MAX_GROUPS);
  if (rest.length) {
    const sites = rest.reduce((total, g) => total + g.sites.length, 0);
    const url = options.planUrl?.(view.plan.id);
    const more = `…and ${plural(rest.length, 'more platform')} with ${plural(sites, 'site')}`;
    blocks.push(context(`${url ? `<${url}|${more}>` : more}: ${listWithMore(rest.map((g) => code(g.from.name)), 10)}`));
  }
  return blocks;
};

/** Pinned sites of the scope, left out of the upgrade, each with who pinned it and why. */
const heldBlocks = (view: PlanView): Block[] =>
  view.held.length
    ? [section(`*Held out (${view.held.length.toLocaleString('en-US')})*\n${fitLines(view.held.map((h) => `${holdLine(h.hold)} ${code(h.site.name)}`), { maxChars: 2800 })}`)]
    : [];

/** On a finished summary with migrated sites: Roll back (same permission as Confirm), after a confirmation dialog. */
const rollbackButton = (view: PlanView, progress: Progress | null): Block[] => {
  if (!progress || !isFinished(progress) || !progress.succeeded.length) return [];
  const n = progress.succeeded.length;
  return [
    actions(`plan_rollback_${view.plan.id}`, [
      button(`Roll back ${plural(n, 'site')}`, ACTIONS.rollbackPlan, {
        value: view.plan.id,
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Roll back?' },
          text: {
            type: 'mrkdwn',
            text: `Put ${plural(n, 'migrated site')} back on the platform each came from, from the backup taken before its migration? Changes made to them since are replaced by the backup.`,
          },
          confirm: { type: 'plain_text', text: 'Roll back' },
          deny: { type: 'plain_text', text: 'Not now' },
        },
      }),
    ]),
  ];
};

const buttons = (view: PlanView): Block[] => {
  const { plan } = view;
  if (plan.state !== 'pending' || view.stale || view.movable === 0) return [];
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

/** A link to the plan's page (every site and task); no internal id is shown. */
const footer = (view: PlanView, options: PlanMessageOptions): Block[] => {
  const url = options.planUrl?.(view.plan.id);
  return url ? [context(`<${url}|All sites and tasks of this upgrade>`)] : [];
};

export const planMessage = (view: PlanView, options: PlanMessageOptions): SlackMessage => {
  const { plan, distribution, target } = view;
  const sites = plan.moves.length;
  const platforms = view.groups.length;
  const progress = plan.state === 'confirmed' ? progressOf(view) : null;
  const blocks: Block[] = [
    header(`Upgrade ${plural(sites, 'site')} to ${target.name}`),
    section(
      `*${esc(distribution.title)}* (${code(distribution.slug)}): ${plural(sites, 'site')} on ${plural(platforms, 'platform')} ` +
        `move to the upgrade target ${code(target.name)}. Requested by ${actorText(plan.requestedBy)}.`,
    ),
  ];
  const state = stateLine(view, progress);
  if (state) blocks.push(section(state));
  if (view.rollout) blocks.push(...rolloutBlocks(view.rollout));
  if (progress) blocks.push(...progressBlocks(view, progress, options));
  blocks.push(...groupBlocks(view, options), ...heldBlocks(view), ...rolloutPreviewBlocks(view), ...buttons(view), ...rollbackButton(view, progress), ...footer(view, options));
  const status = progress ? countsText(progress).replace(/:[a-z_]+: /g, '') : plan.state;
  return message(notificationText(`Upgrade ${plural(sites, 'site')} of ${distribution.slug} to ${target.name}: ${status}`), blocks);
};
