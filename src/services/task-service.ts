import { describeActor, type Actor } from '../domain/actor.js';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import type { EventPublisher, Page, PageRequest, Repositories, TaskFilter } from '../domain/ports.js';
import { ACTIVE_TASK_STATES, type Task } from '../domain/task.js';
import type { AuditLog } from './audit-log.js';
import { resolveSite } from './lookup.js';

export class TaskService {
  constructor(private readonly deps: { repos: Repositories; events: EventPublisher; audit: AuditLog; now?: () => Date }) {}

  /** Recent tasks, newest first; for one site when `siteKey` is given. */
  async recent(siteKey?: string, limit = 10): Promise<Task[]> {
    const filter: TaskFilter = {};
    if (siteKey) filter.subjectId = (await resolveSite(this.deps.repos, siteKey)).id;
    return (await this.deps.repos.tasks.list(filter, { limit, offset: 0 })).items;
  }

  /** One page of tasks matching `filter`, newest first (the admin API's list). */
  list(filter: TaskFilter, page: PageRequest): Promise<Page<Task>> {
    return this.deps.repos.tasks.list(filter, page);
  }

  /** The task with this store id, or null (event handlers: the task may have been removed meanwhile). */
  byId(id: string): Promise<Task | null> {
    return this.deps.repos.tasks.get(id);
  }

  async running(limit = 20): Promise<Task[]> {
    return (await this.deps.repos.tasks.list({ state: [...ACTIVE_TASK_STATES] }, { limit, offset: 0 })).items;
  }

  /** Accepts a task number (`42`, `#42`) or id. */
  async get(key: string): Promise<Task> {
    const trimmed = key.trim().replace(/^#/, '');
    const task = /^\d+$/.test(trimmed)
      ? await this.deps.repos.tasks.getByNumber(Number(trimmed))
      : /^[a-f0-9]{24}$/.test(trimmed)
        ? await this.deps.repos.tasks.get(trimmed)
        : null;
    if (!task) {
      if (!/^\d+$/.test(trimmed) && !/^[a-f0-9]{24}$/.test(trimmed)) {
        throw new ValidationError(`\`${key}\` is not a task number.`, [], { next: { action: 'list-tasks' } });
      }
      throw new NotFoundError('task', key);
    }
    return task;
  }

  /** Cancels a queued task. A running migration is not interrupted: it finishes or rolls back by itself. */
  async cancel(key: string, actor: Actor): Promise<Task> {
    const task = await this.get(key);
    if (task.state === 'cancelled') return task;
    const now = this.deps.now?.() ?? new Date();
    const done = await this.deps.audit.change(
      () => this.deps.repos.tasks.transition(task.id, ['queued'], 'cancelled', { finishedAt: now, confirmedBy: task.confirmedBy }),
      (t) => (t ? { actor, action: 'task.cancel', subject: { kind: 'task', id: t.id, name: `#${t.number}` }, details: { type: t.type, subject: t.subject.name } } : null),
    );
    if (!done) {
      const current = await this.deps.repos.tasks.get(task.id);
      const state = current?.state ?? task.state;
      throw new ConflictError(
        state === 'processing'
          ? `Task #${task.number} is already running; it will finish or roll back on its own.`
          : `Task #${task.number} already ${state}.`,
      );
    }
    await this.deps.repos.tasks.appendLog(task.id, [{ at: now, level: 'warn', message: `Cancelled by ${describeActor(actor)}` }]);
    await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state: 'cancelled' });
    return done;
  }
}
