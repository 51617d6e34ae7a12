/** `/distro tasks [<site>]` and the running-tasks part of App Home. */
import type { Task } from '../../domain/task.js';
import { code, esc, header, linesWithin, message, section, slackDate, type SlackMessage } from './kit.js';
import { TASK_ICON } from './upgrade-plan.js';

export const taskLine = (t: Task): string =>
  `${TASK_ICON[t.state]} *#${t.number}* ${t.type} ${code(t.subject.name)} — ${t.state} · ${slackDate(t.finishedAt ?? t.startedAt ?? t.createdAt)}` +
  (t.state === 'failed' && t.error ? `\n      ${esc(t.error)}` : '');

export const taskListMessage = (tasks: Task[], site?: string): SlackMessage => {
  const title = site ? `Tasks for ${site}` : 'Recent tasks';
  if (!tasks.length) return message(`${title}: none`, [section(`${esc(title)}: none yet.`)]);
  return message(`${title}: ${tasks.length}`, [header(title), section(linesWithin(tasks.map(taskLine)))]);
};

/** Thread reply under a plan message when a migration fails: the last lines of its log. */
export const taskFailureMessage = (task: Task, tailLines = 15): SlackMessage => {
  const tail = task.log.slice(-tailLines).map((l) => `${l.at.toISOString()} ${l.level.toUpperCase()} ${l.message}`);
  const body = tail.length ? tail.join('\n').slice(-2800) : '(no log lines)';
  return message(`Task #${task.number} (${task.subject.name}) failed: ${task.error ?? 'see log'}`, [
    section(`:x: *Task #${task.number}* ${code(task.subject.name)} failed${task.error ? `: ${esc(task.error)}` : ''}`),
    section('```' + esc(body.replace(/```/g, "'''")) + '```'),
  ]);
};
