/** Proposes an upgrade and posts its summary in the channel (visible to the team, where Confirm happens). */
import type { Actor } from '../../domain/actor.js';
import { ConflictError } from '../../domain/errors.js';
import type { PlanScope } from '../../domain/upgrade-plan.js';
import type { ListenerDeps } from '../listeners/shared.js';

/** Slack API errors meaning "the bot cannot post here", turned into advice. */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'is_archived']);

const slackErrorCode = (error: unknown): string | undefined =>
  (error as { data?: { error?: string } } | null)?.data?.error;

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
        // The channel link comes from the distribution's record, not from the user's text: it stays a live link.
        { hint: direct ? '' : 'Invite me with `/invite @Distro`, or run the command in a channel I am in.', ...(view.distribution.channel ? { mentions: [where] } : {}) },
      );
    }
    throw error;
  }
};
