/** What the Slack app exposes and needs; manifest.yml is checked against these in a unit test. */
export const SLACK_EVENTS_PATH = '/slack/events';

/** Events the app subscribes to (manifest.yml `bot_events` must list them). */
export const SLACK_BOT_EVENTS = ['app_home_opened'] as const;

/**
 * Every Web API method Distro calls, with the bot scope it needs (manifest.yml must grant them;
 * `commands` covers the slash command, `chat:write.public` posting in public channels without an invite).
 */
export const WEB_API_SCOPES: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'views.publish': null,
  'usergroups.users.list': 'usergroups:read',
};
export const EXTRA_BOT_SCOPES = ['commands', 'chat:write.public'] as const;
