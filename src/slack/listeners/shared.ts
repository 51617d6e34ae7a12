/** What every listener needs, and the one wrapper that turns a failure into an ephemeral reply. */
import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Actor } from '../../domain/actor.js';
import { ForbiddenError } from '../../domain/errors.js';
import type { RedeliveryStore } from '../../domain/ports.js';
import { redactDeep, type Redactor } from '../../lib/redact.js';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services/services.js';
import { errorMessage, type ErrorContext } from '../blocks/errors.js';
import { notice, type SlackMessage } from '../blocks/kit.js';
import type { Permissions } from '../permissions.js';
import type { PlanMessenger } from '../plan-messages.js';
import type { WorkQueue } from '../work-queue.js';

export interface ListenerDeps {
  services: Services;
  logger: Logger;
  permissions: Permissions;
  messenger: PlanMessenger;
  /** Where listeners put their slow part, after acking. */
  work: WorkQueue;
  slashCommand: string;
  /** Slash-command trigger ids already handled (shared by all web processes). */
  redeliveries: RedeliveryStore;
  /** Applied to every reply: response_url posts do not go through the redacting WebClient. */
  redact?: Redactor;
}

export type Reply = (message: SlackMessage) => Promise<unknown>;

/** Replies only the clicking/typing user sees, through the request's response_url (no token needed). */
export const ephemeral =
  (respond: RespondFn | undefined, logger: Logger, redact?: Redactor): Reply =>
  async (message) => {
    const m = redact ? redactDeep(message, redact) : message;
    if (!respond) {
      logger.warn({ text: m.text }, 'no response_url to reply to');
      return;
    }
    await respond({ response_type: 'ephemeral', replace_original: false, text: m.text, blocks: m.blocks });
  };

export const userActor = (user: { id: string; name?: string; username?: string; user_name?: string }): Actor => {
  const name = user.name ?? user.username ?? user.user_name;
  return name ? { kind: 'user', id: user.id, name, via: 'slack' } : { kind: 'user', id: user.id, via: 'slack' };
};

/**
 * Queues the slow part of a listener (call it after ack) on the app's work queue, so acks never wait behind
 * work. Errors become an ephemeral reply, mapped in one place; a reply that itself fails is only logged.
 */
export const later = (deps: Pick<ListenerDeps, 'work' | 'logger'>, reply: Reply, ctx: ErrorContext, work: () => Promise<void>): void =>
  deps.work.push(
    () => guarded(reply, deps.logger, ctx, work),
    async () => {
      await reply(notice(':hourglass: I am very busy right now and did not do this. Try again in a minute.'));
    },
  );

/** Runs `work`, turning a failure into an ephemeral reply. */
export const guarded = async (reply: Reply, logger: Logger, ctx: ErrorContext, work: () => Promise<void>): Promise<void> => {
  try {
    await work();
  } catch (error) {
    try {
      await reply(errorMessage(error, logger, ctx));
    } catch (replyError) {
      logger.error({ err: replyError, cause: error }, 'could not send the error reply to Slack');
    }
  }
};

/** Checks the confirmers policy; throws ForbiddenError with the explanation. */
export const assertPermitted = async (deps: ListenerDeps, userId: string, client: WebClient): Promise<void> => {
  const refusal = await deps.permissions.refusal(userId, client);
  if (refusal) throw new ForbiddenError(refusal.message, { mentions: refusal.mentions });
};
