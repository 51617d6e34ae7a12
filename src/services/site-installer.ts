/**
 * Runs `install` tasks on a worker: makes a new site's files through the hosting driver, then enables the site.
 * A lease (renewed while it runs) lets another worker take over from a dead one; installSite is idempotent,
 * so the taker simply runs it again. A failure for good removes the site record (a site is never listed
 * without its files) and fails the task with the reason.
 */
import { TransientError } from '../domain/errors.js';
import { crashPoint } from '../lib/crash-point.js';
import type { Clock, EventPublisher, HostingDriver, LogFn, Repositories } from '../domain/ports.js';
import type { Task, TaskLogLine } from '../domain/task.js';

export interface SiteInstallerDeps {
  repos: Pick<Repositories, 'tasks' | 'sites' | 'platforms'>;
  driver: HostingDriver;
  events: EventPublisher;
  clock?: Clock;
  /** How long a claim lasts without renewal; renewed every third of it. */
  leaseMs?: number;
}

export type InstallOutcome = 'succeeded' | 'failed' | 'skipped';

const DEFAULT_LEASE_MS = 30_000;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class SiteInstaller {
  private readonly clock: Clock;
  private readonly leaseMs: number;

  constructor(private readonly deps: SiteInstallerDeps) {
    this.clock = deps.clock ?? { now: () => new Date() };
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Throws TransientError when the queue should try again (another live worker holds it, or a transient failure). */
  async run(taskId: string, owner: string, options: { attempt?: number; maxAttempts?: number } = {}): Promise<InstallOutcome> {
    const { tasks, sites, platforms } = this.deps.repos;
    const now = this.clock.now();
    const task = await tasks.claim(taskId, owner, new Date(now.getTime() + this.leaseMs), now);
    if (!task) {
      const current = await tasks.get(taskId);
      if (current?.state === 'processing') throw new TransientError(`Install task #${current.number} is held by another worker.`);
      return 'skipped';
    }
    await this.deps.events.publish({ type: 'task.updated', taskId, state: 'processing' });
    crashPoint('install:begun');
    const lines: TaskLogLine[] = [];
    const log: LogFn = (message, level = 'info') => void lines.push({ at: this.clock.now(), level, message });
    const renew = setInterval(
      () => void tasks.renewLease(taskId, owner, new Date(this.clock.now().getTime() + this.leaseMs)).catch(() => undefined),
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    try {
      const site = await sites.get(task.subject.id);
      if (!site) return await this.finish(task, lines, 'failed', 'The site record is gone.');
      const platform = await platforms.get(site.platformId);
      if (!platform) return await this.finish(task, lines, 'failed', 'The platform is gone.');
      log(`Installing ${site.name} on ${platform.name}`);
      await this.deps.driver.installSite?.(site, platform, log);
      crashPoint('install:files');
      await sites.update(site.id, { status: 'enabled' });
      crashPoint('install:enabled');
      log(`Installed ${site.name}`);
      return await this.finish(task, lines, 'succeeded', null);
    } catch (error) {
      const attempt = options.attempt ?? 1;
      if (error instanceof TransientError && attempt < (options.maxAttempts ?? 1)) {
        log(`Attempt ${attempt} failed: ${messageOf(error)}; retrying`, 'warn');
        await tasks.appendLog(taskId, lines.splice(0));
        // Let the retry (on any worker) claim it at once.
        await tasks.renewLease(taskId, owner, new Date(this.clock.now().getTime() - 1));
        throw error;
      }
      log(messageOf(error), 'error');
      await sites.delete(task.subject.id).catch(() => undefined);
      return await this.finish(task, lines, 'failed', `Could not install the site: ${messageOf(error)}`);
    } finally {
      clearInterval(renew);
    }
  }

  private async finish(task: Task, lines: TaskLogLine[], state: 'succeeded' | 'failed', error: string | null): Promise<InstallOutcome> {
    if (lines.length) await this.deps.repos.tasks.appendLog(task.id, lines.splice(0));
    await this.deps.repos.tasks.transition(task.id, ['processing'], state, { error, finishedAt: this.clock.now(), lease: null });
    await this.deps.events.publish({ type: 'task.updated', taskId: task.id, state });
    return state;
  }
}
