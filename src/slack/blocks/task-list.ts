/** `/distro tasks [<site>]` and the running-tasks part of App Home. */
import type { Task } from '../../domain/task.js';
import { errorSummary } from '../../lib/error-summary.js';
import { plural } from '../../lib/plural.js';
import { fitLines } from './fit-lines.js';
import { code, esc, header, message, notificationText, section, slackDate, type SlackMessage } from './kit.js';
import { TASK_ICON } from './upgrade-plan.js';
import { logTailBlock } from './upstream-failures.js';

export const taskLine = (t: Task): string =>
  `${TASK_ICON[t.state]} *#${t.number}* ${t.type} ${code(t.subject.name)} — ${t.state} · ${slackDate(t.finishedAt ?? t.startedAt ?? t.createdAt)}` +
  (t.state === 'failed' && t.error ? `\n      ${esc(errorSummary(t.error))}` : '');

export const taskListMessage = (tasks: Task[], site?: string): SlackMessage => {
  const title = site ? `Tasks for ${site}` : 'Recent tasks';
  if (!tasks.length) return message(`${esc(title)}: none`, [section(`${esc(title)}: none yet.`)]);
  return message(`${esc(title)}: ${plural(tasks.length, 'task')}`, [header(title), section(fitLines(tasks.map(taskLine)))]);
};

/** Thread reply under a plan message when a migration fails: the last lines of its log. */
export const taskFailureMessage = (task: Task, tailLines = 15): SlackMessage => {
  const lines = task.log.map((l) => `${l.at.toISOString()} ${l.level.toUpperCase()} ${l.message}`);
  // The fallback text is mrkdwn too (and drives notifications): command output in the error must not mention anyone.
  const reason = task.error ? errorSummary(task.error) : null;
  return message(notificationText(`Task #${task.number} (${task.subject.name}) failed: ${esc(reason ?? 'see log')}`), [
    section(`:x: *Task #${task.number}* ${code(task.subject.name)} failed${reason ? `: ${esc(reason)}` : ''}`),
    section(logTailBlock(lines, tailLines)),
  ]);
};
