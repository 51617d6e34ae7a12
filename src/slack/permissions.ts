/**
 * Who may confirm upgrades (and change targets): listed Slack user IDs, or members of one user group.
 * With neither configured, anyone in the workspace may.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { mentionUser } from './blocks/kit.js';

export interface Permissions {
  /** null when allowed, otherwise why not (shown to the user). */
  /** Why `userId` may not act (with the mentions of the confirmers it names), or null. */
  refusal(userId: string, client: WebClient): Promise<{ message: string; mentions: string[] } | null>;
}

export const createPermissions = (options: { confirmers: string[]; confirmersUsergroup: string | null; logger: Logger }): Permissions => ({
  async refusal(userId, client) {
    const { confirmers, confirmersUsergroup: group } = options;
    if (!confirmers.length && !group) return null;
    if (confirmers.includes(userId)) return null;
    if (group) {
      try {
        // Asked every time: membership changes in Slack should apply at once, and confirms are rare.
        const res = await client.usergroups.users.list({ usergroup: group });
        if (res.users?.includes(userId)) return null;
      } catch (error) {
        options.logger.warn({ err: error, usergroup: group }, 'could not read confirmers user group');
        return { message: 'I could not check the confirmers user group just now (Slack API error), so I did not confirm. Try again in a moment.', mentions: [] };
      }
    }
    const who = [
      ...confirmers.map(mentionUser),
      ...(group ? [`members of <!subteam^${group}>`] : []),
    ];
    return { message: `Only ${who.join(', ')} may do this. Ask one of them.`, mentions: [...confirmers.map(mentionUser), ...(group ? [`<!subteam^${group}>`] : [])] };
  },
});
