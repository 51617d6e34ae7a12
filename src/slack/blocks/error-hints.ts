/** An error's next step (src/domain/error-hints.ts) in Slack's terms: the slash command to type. Pure. */
import type { ErrorHint } from '../../domain/error-hints.js';
import { esc } from './kit.js';

/** Compiles only while every action has its case. */
const unknownHint = (hint: never): string => `(${String((hint as { action?: unknown }).action)})`;

/** "Set one with `/distro target social <platform>`." — names escaped, ready for mrkdwn. */
export const slackHint = (hint: ErrorHint, slashCommand = '/distro'): string => {
  const cmd = (rest: string) => `\`${esc(`${slashCommand} ${rest}`)}\``;
  switch (hint.action) {
    case 'set-target':
      return `Set one with ${cmd(`target ${hint.distribution} <platform>`)}.`;
    case 'show-distribution':
      return `See ${cmd(`show ${hint.distribution}`)}.`;
    case 'set-upstream':
      return 'Set an upstream (git URL or GitHub repository) in the admin backend first.';
    case 'propose-upgrade':
      return `Run ${cmd('upgrade …')} again for a fresh summary.`;
    case 'cancel-task':
      return `Cancel single migrations with ${cmd('cancel <task>')}.`;
    case 'list-tasks':
      return hint.site ? `See ${cmd(`tasks ${hint.site}`)}.` : `Use the number shown by ${cmd('tasks')}, e.g. ${cmd('cancel 42')}.`;
    default:
      return unknownHint(hint);
  }
};
