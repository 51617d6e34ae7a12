/**
 * Who may confirm upgrades (and change targets): listed Slack user IDs, or members of one user group.
 * With neither configured, anyone in the workspace may.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import { mentionUser } from './blocks/kit.js';

export interface Permissions {
  /** null when allowed, otherwise why not (shown to the user). */
  refusal(userId: string, client: WebClient): Promise<string | null>;
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
        return 'I could not check the confirmers user group just now (Slack API error), so I did not confirm. Try again in a moment.';
      }
    }
    const who = [
      ...confirmers.map(mentionUser),
      ...(group ? [`members of <!subteam^${group}>`] : []),
    ];
    return `Only ${who.join(', ')} may do this. Ask one of them.`;
  },
});
