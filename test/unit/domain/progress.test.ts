import { expect, test } from '@jest/globals';
import { progressOf } from '../../../src/domain/rollout-progress.js';
import { taskProgress } from '../../../src/domain/task-progress.js';
import type { Task } from '../../../src/domain/task.js';

const migrate = (over: Partial<Pick<Task, 'state' | 'step' | 'checkpoint'>>) => ({ type: 'migrate' as const, state: 'processing' as const, step: null, checkpoint: {}, ...over });

test('a running migration is on the step whose intent was committed, not on the last completed one', () => {
  expect(taskProgress(migrate({ step: 'moveSite', checkpoint: { intent: 'postMigrate' } }))).toEqual({ current: 'postMigrate', done: 3, total: 7 });
  expect(taskProgress(migrate({ step: 'postMigrate', checkpoint: { intent: 'postMigrate' } }))).toEqual({ current: 'postMigrate', done: 4, total: 7 });
  expect(taskProgress(migrate({ step: 'backup', checkpoint: { intent: 'moveSite', rollback: 'post-migrate failed' } })).current).toBe('rolling back');
  expect(taskProgress(migrate({ state: 'failed', step: 'backup', checkpoint: { intent: 'moveSite', rollback: 'x' } })).current).toBe('rolled back');
  expect(taskProgress(migrate({ state: 'succeeded', step: 'maintenanceOff' }))).toEqual({ current: 'done', done: 7, total: 7 });
  expect(taskProgress(migrate({ state: 'queued' }))).toEqual({ current: null, done: 0, total: 7 });
  expect(taskProgress({ type: 'install', state: 'processing', step: null, checkpoint: {} })).toEqual({ current: null, done: 0, total: 0 });
});

test('rollout progress counts tasks by state; planned moves without a task yet are waiting; cancelled ones drop out', () => {
  const tasks = (['succeeded', 'succeeded', 'failed', 'processing', 'queued', 'cancelled'] as const).map((state, i) => ({ state, number: i + 1, subject: { kind: 'site' as const, id: `s${i}`, name: `s${i}` } }));
  expect(progressOf(tasks)).toEqual({ succeeded: 2, failed: 1, running: 1, waiting: 1 });
  expect(progressOf(tasks, 9)).toEqual({ succeeded: 2, failed: 1, running: 1, waiting: 4 });
});

test('progress counts sites by their latest attempt: a site that failed and then succeeded is one success', () => {
  const site = (id: string) => ({ kind: 'site' as const, id, name: `${id}.example.org` });
  // 11 sites; site s3 failed (task 4), was fixed and retried (task 12), whatever order the tasks come in.
  const tasks = [
    ...Array.from({ length: 11 }, (_, i) => ({ state: (i === 3 ? 'failed' : 'succeeded') as Task['state'], number: i + 1, subject: site(`s${i}`) })),
    { state: 'succeeded' as const, number: 12, subject: site('s3') },
  ];
  expect(progressOf(tasks, 11)).toEqual({ succeeded: 11, failed: 0, running: 0, waiting: 0 });
  expect(progressOf([...tasks].reverse(), 11)).toEqual({ succeeded: 11, failed: 0, running: 0, waiting: 0 });
  // The retry still running: the site is running, not failed and running.
  expect(progressOf([...tasks.slice(0, 11), { state: 'processing', number: 12, subject: site('s3') }], 11)).toEqual({ succeeded: 10, failed: 0, running: 1, waiting: 0 });
});
