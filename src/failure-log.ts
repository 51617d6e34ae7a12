/**
 * One server log line for every failed task (migration, site install) and every failed build, so an operator
 * without Slack finds failures in the log: the error sentence, the task id and number, and the site it concerns.
 */
import { buildFailure } from './domain/build-failure.js';
import type { DomainEvent, Repositories } from './domain/ports.js';
import { firstErrorLine } from './lib/first-error-line.js';
import type { Logger } from './logger.js';

export const logFailures =
  (deps: { repos: Pick<Repositories, 'tasks' | 'platforms'>; logger: Logger }) =>
  async (event: DomainEvent): Promise<void> => {
    if (event.type === 'task.updated' && event.state === 'failed') {
      const task = await deps.repos.tasks.get(event.taskId);
      if (!task) return;
      const error = firstErrorLine(task.error ?? '', 300, 'failed without an error message');
      deps.logger.error(
        { taskId: task.id, task: task.number, type: task.type, [task.subject.kind]: task.subject.name, error },
        `task #${task.number} (${task.type} ${task.subject.kind} ${task.subject.name}) failed: ${error}`,
      );
    } else if (event.type === 'platform.failed') {
      const platform = await deps.repos.platforms.get(event.platformId);
      if (!platform) return;
      const error = firstErrorLine(buildFailure(platform));
      deps.logger.error({ platformId: platform.id, platform: platform.name, error }, `build of platform ${platform.name} failed: ${error}`);
    }
  };
