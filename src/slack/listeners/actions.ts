/**
 * Buttons: Confirm / Cancel on upgrade summaries, "Review upgrades" on announcements, and URL buttons.
 * Every button that changes state is for confirmers only (the same check as Confirm): whoever may not
 * confirm an upgrade may not cancel one or post one either.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { StaleError } from '../../domain/errors.js';
import type { ConfirmOutcome } from '../../services/upgrade-service.js';
import { actorText, ACTIONS, code, esc, notice } from '../blocks/kit.js';
import type { MessageRef } from '../plan-messages.js';
import { proposeAndPost } from './commands.js';
import { assertPermitted, ephemeral, guarded, userActor, type ListenerDeps } from './shared.js';

/** Where the clicked message lives. */
const clickedMessage = (body: BlockAction): MessageRef | undefined => {
  const channel = (body.container?.channel_id as string | undefined) ?? body.channel?.id;
  const ts = (body.container?.message_ts as string | undefined) ?? body.message?.ts;
  return channel && ts ? { channel, ts } : undefined;
};

export const registerActions = (app: App, deps: ListenerDeps): void => {
  const { services, messenger, logger } = deps;

  app.action<BlockAction<ButtonAction>>(ACTIONS.confirm, async ({ ack, body, action, respond, client }) => {
    await ack();
    const reply = ephemeral(respond, logger);
    const actor = userActor(body.user);
    const planId = action.value ?? '';
    const at = clickedMessage(body);
    await guarded(reply, logger, {}, async () => {
      await assertPermitted(deps, body.user.id, client);
      let outcome: ConfirmOutcome;
      try {
        outcome = await services.upgrades.confirm(planId, actor);
      } catch (error) {
        if (error instanceof StaleError) {
          // Mark the old summary stale (buttons gone), then post a fresh one against the new target.
          const old = await messenger.refresh(planId, at ? { at } : {});
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
      // Later re-renders of the summary no longer know why a site was left out: tell the confirmer now.
      const skipped = outcome.skipped.map((s) => `${code(s.site)} (${esc(s.reason)})`);
      const skippedNote = skipped.length ? ` Not scheduled: ${skipped.join(', ')}.` : '';
      try {
        await messenger.refresh(planId, { skipped: outcome.skipped, ...(at ? { at } : {}) });
      } catch (error) {
        // The migrations are scheduled whatever Slack says; "something went wrong" would invite a second try.
        logger.warn({ err: error, plan: planId }, 'confirmed, but could not update the summary message');
        const n = outcome.view.tasks.length;
        await reply(
          notice(
            `:white_check_mark: Confirmed: ${n} migration${n === 1 ? '' : 's'} scheduled, but I could not update the summary message. ` +
              `Follow them with \`${deps.slashCommand} tasks\`.${skippedNote}`,
          ),
        );
        return;
      }
      if (skippedNote) await reply(notice(`:heavy_minus_sign:${skippedNote}`));
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.cancel, async ({ ack, body, action, respond, client }) => {
    await ack();
    const at = clickedMessage(body);
    await guarded(ephemeral(respond, logger), logger, {}, async () => {
      await assertPermitted(deps, body.user.id, client);
      await services.upgrades.cancel(action.value ?? '', userActor(body.user));
      await messenger.refresh(action.value ?? '', at ? { at } : {});
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTIONS.reviewUpgrades, async ({ ack, body, action, respond, client }) => {
    await ack();
    const channel = clickedMessage(body)?.channel;
    await guarded(ephemeral(respond, logger), logger, {}, async () => {
      await assertPermitted(deps, body.user.id, client);
      if (!channel) throw new Error('Review upgrades clicked outside a channel message');
      await proposeAndPost(deps, { kind: 'distribution', slug: action.value ?? '' }, userActor(body.user), channel);
    });
  });

  // URL buttons (Compare) open in the browser, but Slack still sends an action that must be acknowledged.
  app.action(new RegExp(`^${ACTIONS.link}`), async ({ ack }) => {
    await ack();
  });
};
