/** The `/distro` slash command: ack at once, then parse → service → render, replying ephemerally. */
import type { App } from '@slack/bolt';
import { ValidationError } from '../../domain/errors.js';
import { COMMAND_USAGE, parseCommand, type Command, type CommandKind } from '../command-parser.js';
import type { CommandEntry, Invocation } from '../commands/command-entry.js';
import { COMMANDS } from '../commands/registry.js';
import { ephemeral, later, userActor, type ListenerDeps } from './shared.js';

/** Longer command text is refused before parsing: no command needs more than a few names. */
export const MAX_COMMAND_TEXT_CHARS = 1000;

/** Runs the registry entry of the command's kind (the registry's type guarantees there is one). */
const run = (cmd: Command, deps: ListenerDeps, inv: Invocation): Promise<void> =>
  (COMMANDS[cmd.kind] as CommandEntry<CommandKind>).run(cmd, deps, inv);

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
      await run(cmd, deps, { userId: command.user_id, actor, channel: command.channel_id, direct, reply, client, usage: COMMAND_USAGE });
    });
  });
};
