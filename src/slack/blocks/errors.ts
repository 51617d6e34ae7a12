/**
 * The one place Slack maps errors to what the user sees (always ephemeral): typed DistroErrors show their
 * message and what to type instead (their `next` step as a slash command, see error-hints.ts); anything else is a generic message with an id that is also logged.
 */
import { randomBytes } from 'node:crypto';
import { isDistroError, NotFoundError, ValidationError, type DistroError } from '../../domain/errors.js';
import { slackHint } from './error-hints.js';
import { context, esc, escKeepingMentions, message, section, type SlackMessage } from './kit.js';

export interface ErrorContext {
  /** The command text the user typed, so a "did you mean" can be offered as a corrected command. */
  commandText?: string;
  slashCommand?: string;
}

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

const ICON: Record<string, string> = {
  validation: ':grey_question:',
  not_found: ':mag:',
  conflict: ':twisted_rightwards_arrows:',
  rule_violation: ':no_entry:',
  forbidden: ':lock:',
  stale: ':hourglass:',
  transient: ':cloud:',
  storage_full: ':floppy_disk:',
  hosting: ':wrench:',
};

/** "Try `/distro upgrade community.example.org`": the user's own command with the unknown name replaced. */
const correctedCommand = (error: DistroError, ctx: ErrorContext): string | undefined => {
  if (error instanceof NotFoundError && error.suggestion && ctx.commandText) {
    const tokens = ctx.commandText.trim().split(/\s+/);
    const i = tokens.findIndex((t) => t === error.key || t.endsWith(`|${error.key}>`));
    if (i >= 0) {
      tokens[i] = error.suggestion;
      return `${ctx.slashCommand ?? '/distro'} ${tokens.join(' ')}`;
    }
  }
  if (error instanceof ValidationError && error.hint?.startsWith('/')) return error.hint;
  return undefined;
};

export const errorMessage = (error: unknown, logger: ErrorLogger, ctx: ErrorContext = {}): SlackMessage => {
  if (isDistroError(error)) {
    const blocks = [section(`${ICON[error.code] ?? ':warning:'} ${escKeepingMentions(error.message, error.mentions)}`)];
    if (error instanceof ValidationError && error.issues.length) {
      blocks.push(section(error.issues.map((i) => `• ${esc(i)}`).join('\n')));
    }
    const corrected = correctedCommand(error, ctx);
    const next = error.next ? slackHint(error.next, ctx.slashCommand) : null;
    if (corrected) blocks.push(context(`Try \`${esc(corrected)}\``));
    else if (next) blocks.push(context(next));
    else if (error.hint && !(error instanceof NotFoundError) && !error.message.includes(error.hint)) {
      blocks.push(context(esc(error.hint)));
    }
    const after = corrected ? ` Try: ${esc(corrected)}` : next ? ` ${next}` : '';
    return message(escKeepingMentions(error.message, error.mentions) + after, blocks);
  }
  const id = randomBytes(4).toString('hex');
  logger.error({ err: error, errorId: id }, 'slack handler failed');
  const text = `:boom: Something went wrong (error id \`${id}\`). Try again; if it keeps failing, give an admin the error id.`;
  return message(`Something went wrong (error id ${id}).`, [section(text)]);
};
