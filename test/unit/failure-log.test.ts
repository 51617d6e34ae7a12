/** The server log line for every failed task and build: one line with the error sentence, the task and its site. */
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { logFailures } from '../../src/failure-log.js';
import { createLogger } from '../../src/logger.js';
import { embeddedStore, type EmbeddedStore } from '../support/embedded.js';

let store: EmbeddedStore;
let lines: Record<string, unknown>[];
const logger = () =>
  createLogger(
    'info',
    'distro',
    undefined,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );

beforeEach(() => {
  store = embeddedStore();
  lines = [];
});
afterEach(() => store.repos.close());

test('a failed migration logs one error line naming the task, the site and the error sentence', async () => {
  const { repos } = store;
  const task = await repos.tasks.create({ type: 'migrate', subject: { kind: 'site', id: 's1', name: 'old.example.org' }, requestedBy: { kind: 'poll' } });
  await repos.tasks.transition(task.id, ['queued'], 'failed', { error: 'Rolled back after post-migrate\nfatal: module foo missing\nmore' });
  const handle = logFailures({ repos, logger: logger() });
  await handle({ type: 'task.updated', taskId: task.id, state: 'failed' });
  await handle({ type: 'task.updated', taskId: task.id, state: 'succeeded' });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 50, taskId: task.id, task: task.number, type: 'migrate', site: 'old.example.org', error: 'fatal: module foo missing' });
  expect(lines[0]!.msg).toBe(`task #${task.number} (migrate site old.example.org) failed: fatal: module foo missing`);
});

test('a failed build logs its platform and the build error', async () => {
  const { repos } = store;
  const d = await repos.distributions.create({ slug: 'social', title: 'Social' });
  const p = await repos.platforms.create({ name: 'social-1', distributionId: d.id, source: { ref: '1', commit: 'a'.repeat(40) }, createdBy: { kind: 'poll' }, status: 'failed' });
  await repos.platforms.appendBuildLog(p.id, ['Cloning', 'Build failed: composer install exited with 2']);
  await logFailures({ repos, logger: logger() })({ type: 'platform.failed', platformId: p.id });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 50, platform: 'social-1', error: 'composer install exited with 2' });
});
