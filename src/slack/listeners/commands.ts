/** The `/distro` slash command: ack at once, then parse → service → render, replying ephemerally. */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Actor } from '../../domain/actor.js';
import { ConflictError, ValidationError } from '../../domain/errors.js';
import type { PlanScope } from '../../domain/upgrade-plan.js';
import { needsTargetConfirmation } from '../../services/upgrade-service.js';
import { compareMessage } from '../blocks/compare-summary.js';
import { helpMessage } from '../blocks/help.js';
import { code, notice } from '../blocks/kit.js';
import { listMessage } from '../blocks/list.js';
import { showMessage } from '../blocks/show.js';
import { statusMessage } from '../blocks/status.js';
import { targetChangedMessage, targetWarningMessage } from '../blocks/target-change.js';
import { taskListMessage } from '../blocks/task-list.js';
import { parseCommand, type Command } from '../command-parser.js';
import { assertPermitted, ephemeral, later, userActor, type ListenerDeps, type Reply } from './shared.js';

interface Invocation {
  userId: string;
  actor: Actor;
  channel: string;
  /** Typed in a direct message (summaries go to channels, where the team can see and confirm them). */
  direct: boolean;
  reply: Reply;
  client: WebClient;
}

/** Longer command text is refused before parsing: no command needs more than a few names. */
export const MAX_COMMAND_TEXT_CHARS = 1000;

/** Slack API errors meaning "the bot cannot post here", turned into advice. */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

const slackErrorCode = (error: unknown): string | undefined =>
  (error as { data?: { error?: string } } | null)?.data?.error;

/** Proposes an upgrade and posts its summary in the channel (visible to the team, where Confirm happens). */
export const proposeAndPost = async (deps: ListenerDeps, scope: PlanScope, actor: Actor, channel: string, direct = false): Promise<void> => {
  const view = await deps.services.upgrades.propose(scope, actor);
  try {
    await deps.messenger.post(view, channel);
  } catch (error) {
    // Nobody could ever confirm a summary that was not posted.
    await deps.services.upgrades.cancel(view.plan.id, { kind: 'system' });
    const why = slackErrorCode(error);
    if (why && CANNOT_POST.has(why)) {
      const where = view.distribution.channel ? `<#${view.distribution.channel}>` : 'the distribution’s channel';
      throw new ConflictError(
        direct
          ? `I can't post an upgrade summary in a direct message. Run the command in ${where}, where the team can see and confirm it.`
          : `I can't post the upgrade summary in this channel (${why}).`,
        { hint: direct ? '' : 'Invite me with `/invite @Distro`, or run the command in a channel I am in.' },
      );
    }
    throw error;
  }
};

const run = async (cmd: Command, deps: ListenerDeps, inv: Invocation): Promise<void> => {
  const { services } = deps;
  switch (cmd.kind) {
    case 'help':
      return void (await inv.reply(helpMessage(deps.slashCommand)));
    case 'list':
      return void (await inv.reply(listMessage(await services.distributions.list())));
    case 'show':
      return void (await inv.reply(showMessage(await services.distributions.show(cmd.distribution))));
    case 'status': {
      const reports = await services.distributions.status(cmd.distribution);
      return void (await inv.reply(statusMessage(reports, { distributionUrl: (slug) => services.links.distributionUrl(slug) })));
    }
    case 'target': {
      await assertPermitted(deps, inv.userId, inv.client);
      // Going back to an older build, or to one some sites cannot reach, is done only after an explicit click.
      const impact = await services.upgrades.targetImpact(cmd.distribution, cmd.platform);
      if (needsTargetConfirmation(impact)) return void (await inv.reply(targetWarningMessage(impact)));
      const change = await services.distributions.setTarget(cmd.distribution, cmd.platform, inv.actor, {
        expectedTargetId: impact.current?.id ?? null,
      });
      return void (await inv.reply(targetChangedMessage(change)));
    }
    case 'upgrade':
      return proposeAndPost(deps, cmd.scope, inv.actor, inv.channel, inv.direct);
    case 'compare': {
      const result = await services.compare.compareByName(cmd.from, cmd.to);
      return void (await inv.reply(compareMessage(result, services.links.compareUrl(result.from.id, result.to.id))));
    }
    case 'poll': {
      const d = await services.distributions.get(cmd.distribution);
      await services.polls.pollNow(d.slug, inv.actor);
      return void (await inv.reply(
        notice(
          `:satellite: Checking the upstream of ${code(d.slug)} now. ` +
            (d.channel ? `A new build is announced in <#${d.channel}>; if there is none, I tell you there (only you see it).` : 'A new build is announced.'),
        ),
      ));
    }
    case 'tasks':
      return void (await inv.reply(taskListMessage(await services.tasks.recent(cmd.site), cmd.site)));
    case 'cancel': {
      // Cancelling someone's scheduled upgrade is as consequential as confirming one.
      await assertPermitted(deps, inv.userId, inv.client);
      const task = await services.tasks.cancel(cmd.task, inv.actor);
      return void (await inv.reply(notice(`:no_entry_sign: Task #${task.number} (${code(task.subject.name)}) is cancelled.`)));
    }
  }
};

/** Slack retries within minutes; a trigger id is remembered for an hour. */
const TRIGGER_TTL_MS = 3_600_000;
const TRIGGER_ID = /^[\w.-]{1,128}$/;

export const registerCommands = (app: App, deps: ListenerDeps): void => {
  app.command(deps.slashCommand, async ({ ack, command, respond, client, context }) => {
    await ack();
    // A redelivery (x-slack-retry-num) carries the trigger_id of the first delivery, which already ran and replied,
    // possibly in another web process: the shared store decides, atomically.
    const trigger = command.trigger_id && TRIGGER_ID.test(command.trigger_id) ? `slack-trigger:${command.trigger_id}` : null;
    if (trigger && (await deps.redeliveries.seen(trigger, TRIGGER_TTL_MS))) {
      deps.logger.info({ trigger: command.trigger_id, retry: context.retryNum ?? null, text: command.text?.slice(0, 200) }, 'ignored a redelivered slash command');
      return;
    }
    const reply = ephemeral(respond, deps.logger, deps.redact);
    const actor = userActor({ id: command.user_id, user_name: command.user_name });
    const text = command.text ?? '';
    const ctx = text.length > MAX_COMMAND_TEXT_CHARS ? {} : { commandText: text, slashCommand: deps.slashCommand };
    const direct = command.channel_name === 'directmessage' || command.channel_id.startsWith('D');
    later(deps, reply, ctx, async () => {
      if (text.length > MAX_COMMAND_TEXT_CHARS) {
        throw new ValidationError(`That command is ${text.length} characters long; at most ${MAX_COMMAND_TEXT_CHARS} are accepted.`, [], {
          hint: `Type \`${deps.slashCommand} help\` for the commands and what they take.`,
        });
      }
      const cmd = parseCommand(text, deps.slashCommand);
      await run(cmd, deps, { userId: command.user_id, actor, channel: command.channel_id, direct, reply, client });
    });
  });
};
