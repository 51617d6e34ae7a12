/**
 * Buttons: Confirm / Cancel on upgrade summaries, "Review upgrades" on announcements, "Move the target anyway"
 * under a target warning, and URL buttons. Each acks at once; the work goes on the app's work queue.
 * Every button that changes state is for confirmers only (the same check as Confirm): whoever may not
 * confirm an upgrade may not cancel one or post one either.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ConflictError, NotFoundError, StaleError } from '../../domain/errors.js';
import type { Rollout } from '../../domain/rollout.js';
import type { Task } from '../../domain/task.js';
import type { ConfirmOutcome } from '../../services/upgrade-service.js';
import { plural } from '../../lib/plural.js';
import { actorText, ACTIONS, code, esc, notice } from '../blocks/kit.js';
import { planRollbackMessage } from '../blocks/rollback.js';
import { rolloutLine } from '../blocks/rollout.js';
import { parseTargetMove, targetChangedMessage } from '../blocks/target-change.js';
import type { MessageRef } from '../plan-messages.js';
import { RecentClicks } from '../recent-clicks.js';
import { proposeAndPost } from '../commands/propose-and-post.js';
import { assertPermitted, ephemeral, later, userActor, type ListenerDeps } from './shared.js';

/** Where the clicked message lives. */
const clickedMessage = (body: BlockAction): MessageRef | undefined => {
  const channel = (body.container?.channel_id as string | undefined) ?? body.channel?.id;
  const ts = (body.container?.message_ts as string | undefined) ?? body.message?.ts;
  return channel && ts ? { channel, ts } : undefined;
};

/** Clicks on the same button of the same message within this window act once (double clicks, two people). */
const CLICK_WINDOW_MS = 60_000;

export const registerActions = (app: App, deps: ListenerDeps): void => {
  const { services, messenger, logger } = deps;
  const clicks = new RecentClicks(CLICK_WINDOW_MS);

  app.action<BlockAction<ButtonAction>>(ACTIONS.confirm, async ({ ack, body, action, respond, client }) => {
    await ack();
    const reply = ephemeral(respond, logger, deps.redact);
    const actor = userActor(body.user);
    const planId = action.value ?? '';
    const at = clickedMessage(body);
    later(deps, reply, { slashCommand: deps.slashCommand }, async () => {
      await assertPermitted(deps, body.user.id, client);
      let outcome: ConfirmOutcome;
      try {
        outcome = await services.upgrades.confirm(planId, actor);
      } catch (error) {
        if (error instanceof StaleError) {
          // The old summary loses its buttons (plan.updated), and a fresh one is posted against the new target.
          const old = await services.upgrades.view(planId);
          const channel = old.plan.message?.channel ?? at?.channel;
          if (channel) await proposeAndPost(deps, old.plan.scope, actor, channel);
        }
        throw error;
      }
      if (!outcome.scheduled) {
        const by = outcome.view.plan.confirmedBy;
        await reply(notice(`This upgrade was already confirmed by ${by ? actorText(by) : 'someone'}; its migrations are scheduled once.`));
        return;
      }
      messenger.refresh(planId);
      const n = outcome.view.tasks.length;
      const skipped = outcome.skipped.map((s) => `${code(s.site)} (${esc(s.reason)})`);
      const rollout = outcome.view.rollout;
      const waves = rollout && rollout.waves.length > 1 ? ` in wave 1 of ${rollout.waves.length} of rollout ${rollout.number}` : '';
      const waiting = rollout?.waitingUntil ? ` Rollout ${rollout.number} waits for a maintenance window.` : '';
      await reply(
        notice(
          `:white_check_mark: Confirmed: ${plural(n, 'migration')} scheduled${waves}.${waiting} The summary shows their progress; ` +
            `\`${deps.slashCommand} tasks\` lists them too.` +
            (skipped.length ? ` Not scheduled: ${skipped.join(', ')}.` : ''),
        ),
      );
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.cancel, async ({ ack, body, action, respond, client }) => {
    await ack();
    later(deps, ephemeral(respond, logger, deps.redact), { slashCommand: deps.slashCommand }, async () => {
      await assertPermitted(deps, body.user.id, client);
      await services.upgrades.cancel(action.value ?? '', userActor(body.user));
      messenger.refresh(action.value ?? '');
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.reviewUpgrades, async ({ ack, body, action, respond, client }) => {
    await ack();
    const message = clickedMessage(body);
    const reply = ephemeral(respond, logger, deps.redact);
    later(deps, reply, { slashCommand: deps.slashCommand }, async () => {
      await assertPermitted(deps, body.user.id, client);
      if (!message) throw new Error('Review upgrades clicked outside a channel message');
      // Two clicks (or two people) on one announcement post one summary.
      if (!clicks.first(`${message.channel}:${message.ts}:${ACTIONS.reviewUpgrades}:${action.value ?? ''}`)) {
        await reply(notice('A summary for this announcement was just posted; confirm it there.'));
        return;
      }
      await proposeAndPost(deps, { kind: 'distribution', slug: action.value ?? '' }, userActor(body.user), message.channel);
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.confirmTarget, async ({ ack, body, action, respond, client }) => {
    await ack();
    const reply = ephemeral(respond, logger, deps.redact);
    later(deps, reply, { slashCommand: deps.slashCommand }, async () => {
      await assertPermitted(deps, body.user.id, client);
      const move = parseTargetMove(action.value ?? '');
      if (!clicks.first(`${ACTIONS.confirmTarget}:${action.value ?? ''}`)) {
        await reply(notice('This target change was just made.'));
        return;
      }
      // Refused when the target moved since the warning was shown: the warning described another change.
      const change = await services.distributions.setTarget(move.distributionId, move.platformId, userActor(body.user), {
        expectedTargetId: move.fromTargetId,
      });
      await reply(targetChangedMessage(change));
    });
  });

  // Pause / Resume / Cancel on a rollout: for confirmers only, like Confirm. The service refuses a change the
  // rollout's state does not allow (a second click, or someone else was quicker) with a message saying its state.
  const rolloutButton = (actionId: string, act: (id: string, actor: ReturnType<typeof userActor>) => Promise<Rollout>) =>
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, client }) => {
      await ack();
      const reply = ephemeral(respond, logger, deps.redact);
      later(deps, reply, {}, async () => {
        await assertPermitted(deps, body.user.id, client);
        const rollout = await act(action.value ?? '', userActor(body.user));
        messenger.refresh(rollout.planId);
        await reply(notice(rolloutLine(rollout)));
      });
    });
  rolloutButton(ACTIONS.rolloutPause, (id, actor) => services.rollouts.pause(id, actor));
  rolloutButton(ACTIONS.rolloutResume, (id, actor) => services.rollouts.resume(id, actor));
  rolloutButton(ACTIONS.rolloutCancel, (id, actor) => services.rollouts.cancel(id, actor));
  app.action<BlockAction<ButtonAction>>(ACTIONS.rollbackPlan, async ({ ack, body, action, respond, client }) => {
    await ack();
    const reply = ephemeral(respond, logger, deps.redact);
    later(deps, reply, {}, async () => {
      await assertPermitted(deps, body.user.id, client);
      const planId = action.value ?? '';
      if (!clicks.first(`${ACTIONS.rollbackPlan}:${planId}`)) {
        await reply(notice('These sites are already being rolled back; `tasks` shows their progress.'));
        return;
      }
      // Each migrated site of the summary, each refused with its own reason (moved on, backup pruned, old platform gone).
      const view = await services.upgrades.view(planId);
      const started: Array<{ site: string; task: Task }> = [];
      const refused: Array<{ site: string; reason: string }> = [];
      for (const t of view.tasks.filter((t) => t.state === 'succeeded')) {
        try {
          started.push({ site: t.subject.name, task: (await services.rollbacks.request(t.subject.id, userActor(body.user))).task });
        } catch (error) {
          if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
          refused.push({ site: t.subject.name, reason: error.message });
        }
      }
      await reply(planRollbackMessage(started, refused));
    });
  });

  // URL buttons (Compare) open in the browser, but Slack still sends an action that must be acknowledged.
  app.action(new RegExp(`^${ACTIONS.link}`), async ({ ack }) => {
    await ack();
  });
};
