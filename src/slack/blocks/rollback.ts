/** Replies to a rollback request: which task puts the site back where, and what it replaces. */
import type { Platform } from '../../domain/platform.js';
import type { Task } from '../../domain/task.js';
import { errorSummary } from '../../lib/error-summary.js';
import type { RollbackStatus } from '../../services/rollback-service.js';
import { plural } from '../../lib/plural.js';
import { actorText, code, esc, notice, slackDate, type SlackMessage } from './kit.js';

type Possible = Extract<RollbackStatus, { possible: true }>;

export const rollbackStartedMessage = (task: Task, status: Possible): SlackMessage =>
  notice(
    `:rewind: Rolling back ${code(status.site.name)} from ${code(status.current.name)} to ${code(status.previous.name)} (task #${task.number}), ` +
      `from the backup taken before task #${status.migration.number}. Changes made to it since ${status.migration.finishedAt ? slackDate(status.migration.finishedAt) : 'then'} are replaced by the backup.`,
  );

/** Posted in the distribution's channel when a rollback task ends (it has no summary to update). */
export const rollbackFinishedMessage = (task: Task, previous: Platform, taskUrl: string): SlackMessage =>
  notice(
    task.state === 'succeeded'
      ? `:rewind: ${code(task.subject.name)} is back on ${code(previous.name)} as it was before its migration (<${taskUrl}|task #${task.number}>, asked by ${actorText(task.requestedBy)}).`
      : `:x: The rollback of ${code(task.subject.name)} to ${code(previous.name)} failed: ${esc(errorSummary(task.error, 240, 'see the log'))} (<${taskUrl}|task #${task.number}>).`,
  );

/** The summary's Roll back button: what was started and what was refused, with the reason. */
export const planRollbackMessage = (started: Array<{ site: string; task: Task }>, refused: Array<{ site: string; reason: string }>): SlackMessage => {
  const lines = [
    started.length ? `:rewind: Rolling back ${plural(started.length, 'site')}: ${started.map((s) => `${code(s.site)} (#${s.task.number})`).join(', ')}.` : null,
    ...refused.map((r) => `:no_entry_sign: ${code(r.site)}: ${esc(r.reason)}`),
  ].filter((l): l is string => l !== null);
  return notice(lines.join('\n') || 'Nothing to roll back.');
};
