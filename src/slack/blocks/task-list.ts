/** `/distro tasks [<site>]` and the running-tasks part of App Home. */
import type { Task } from '../../domain/task.js';
import { code, esc, header, linesWithin, message, section, slackDate, type SlackMessage } from './kit.js';
import { TASK_ICON } from './upgrade-plan.js';
import { logTailBlock } from './upstream-failures.js';

export const taskLine = (t: Task): string =>
  `${TASK_ICON[t.state]} *#${t.number}* ${t.type} ${code(t.subject.name)} — ${t.state} · ${slackDate(t.finishedAt ?? t.startedAt ?? t.createdAt)}` +
  (t.state === 'failed' && t.error ? `\n      ${esc(t.error)}` : '');

export const taskListMessage = (tasks: Task[], site?: string): SlackMessage => {
  const title = site ? `Tasks for ${site}` : 'Recent tasks';
  if (!tasks.length) return message(`${esc(title)}: none`, [section(`${esc(title)}: none yet.`)]);
  return message(`${esc(title)}: ${tasks.length}`, [header(title), section(linesWithin(tasks.map(taskLine)))]);
};

/** Thread reply under a plan message when a migration fails: the last lines of its log. */
export const taskFailureMessage = (task: Task, tailLines = 15): SlackMessage => {
  const lines = task.log.map((l) => `${l.at.toISOString()} ${l.level.toUpperCase()} ${l.message}`);
  // The fallback text is mrkdwn too (and drives notifications): command output in the error must not mention anyone.
  return message(`Task #${task.number} (${task.subject.name}) failed: ${esc(task.error ?? 'see log')}`, [
    section(`:x: *Task #${task.number}* ${code(task.subject.name)} failed${task.error ? `: ${esc(task.error)}` : ''}`),
    section(logTailBlock(lines, tailLines)),
  ]);
};
