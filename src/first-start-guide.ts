/**
 * What a new operator needs after the first `npm start`: where the admin backend is, how to add a first
 * distribution, how to connect Slack. main.ts prints it while there is no distribution, i.e. on a fresh
 * install, and stops once one exists.
 */

/** The example distribution of the guide's curl command (also the README's). */
export const EXAMPLE_DISTRIBUTION = {
  slug: 'social',
  title: 'Open Social 12',
  upstream: {
    kind: 'git',
    url: 'https://github.com/goalgorilla/social_template.git',
    branch: 'main',
    tagPattern: '12.*',
    manifestPath: 'composer.lock',
  },
} as const;

export interface FirstStartGuideInput {
  /** Where the admin backend answers, as seen from this machine. */
  url: string;
  /** How the admin API authenticates; `loopback` = no credentials set, open to this machine only. */
  adminAuth: 'token' | 'basic' | 'loopback' | 'users';
  /** SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are both set. */
  slackConfigured: boolean;
  /** The slash command (SLACK_COMMAND). */
  command: string;
}

/** The server's URL as reached from this machine: an unspecified listen address (0.0.0.0, ::) through loopback. */
export const loopbackUrl = (url: string): string => url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\]|::):/, '$1127.0.0.1:');

const CREDENTIALS = { token: `-H "Authorization: Bearer $ADMIN_TOKEN" `, basic: `-u "$ADMIN_USER:$ADMIN_PASSWORD" `, loopback: '' } as const;
/** Without a bearer token, state changes need a same-origin proof (src/http/auth.ts): a script sends Origin. */
const originHeader = (adminAuth: FirstStartGuideInput['adminAuth'], url: string): string => (adminAuth === 'token' ? '' : `-H 'Origin: ${url}' `);

export const firstStartGuide = ({ url, adminAuth, slackConfigured, command }: FirstStartGuideInput): string =>
  [
    'Distro is running, with no distribution yet. Next steps:',
    `  1. Admin backend: ${url}${adminAuth === 'loopback' ? ' (open to this machine only until ADMIN_TOKEN, ADMIN_USERS or ADMIN_USER/ADMIN_PASSWORD is set)' : ''}`,
    ...(adminAuth === 'users'
      ? [`  2. Sign in at ${url}/login (ADMIN_USERS) and press "New distribution" on the dashboard.`]
      : [
          '  2. Add a first distribution on the dashboard ("New distribution"), or (fields in README.md, "Admin backend"):',
          `     curl ${CREDENTIALS[adminAuth]}${originHeader(adminAuth, url)}-H 'content-type: application/json' ${url}/api/distributions \\`,
          `       -d '${JSON.stringify(EXAMPLE_DISTRIBUTION)}'`,
        ]),
    slackConfigured
      ? `  3. Slack is configured: invite the bot to the distribution's channel and try ${command} help.`
      : '  3. Connect Slack: create an app from manifest.yml (its URLs pointing at PUBLIC_URL), then set\n' +
        '     SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and restart. README.md, "Creating the Slack app", has the steps.',
    'This note is shown at start until a distribution exists.',
  ].join('\n');
