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
  const tasks = (['succeeded', 'succeeded', 'failed', 'processing', 'queued', 'cancelled'] as const).map((state) => ({ state }));
  expect(progressOf(tasks)).toEqual({ succeeded: 2, failed: 1, running: 1, waiting: 1 });
  expect(progressOf(tasks, 9)).toEqual({ succeeded: 2, failed: 1, running: 1, waiting: 4 });
});
