import { describe, expect, test } from '@jest/globals';
import { KeyedSemaphore } from '../../../src/lib/keyed-semaphore.js';

describe('KeyedSemaphore', () => {
  test('admits `limit` holders per key, queues the rest first come first served, and keys are independent', async () => {
    const sem = new KeyedSemaphore(2);
    const r1 = await sem.acquire('a');
    const r2 = await sem.acquire('a');
    const order: string[] = [];
    const w3 = sem.acquire('a').then((r) => (order.push('third'), r));
    const w4 = sem.acquire('a').then((r) => (order.push('fourth'), r));
    const b = await sem.acquire('b');
    expect([sem.active('a'), sem.waiting('a'), sem.active('b')]).toEqual([2, 2, 1]);
    r1();
    r1(); // releasing twice must not free a second slot
    const r3 = await w3;
    expect([sem.active('a'), sem.waiting('a'), order]).toEqual([2, 1, ['third']]);
    r2();
    const r4 = await w4;
    expect(order).toEqual(['third', 'fourth']);
    r3();
    r4();
    b();
    expect([sem.active('a'), sem.waiting('a'), sem.active('b')]).toEqual([0, 0, 0]);
  });

  test('run holds every key (deduplicated) and releases them even when the work throws', async () => {
    const sem = new KeyedSemaphore(1);
    await expect(
      sem.run(['y', 'x', 'y'], async () => {
        expect([sem.active('x'), sem.active('y')]).toEqual([1, 1]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect([sem.active('x'), sem.active('y')]).toEqual([0, 0]);
  });

  test('two runs wanting the same two keys in opposite order do not deadlock', async () => {
    const sem = new KeyedSemaphore(1);
    const seen: string[] = [];
    await Promise.all([
      sem.run(['a', 'b'], async () => void seen.push('ab')),
      sem.run(['b', 'a'], async () => void seen.push('ba')),
    ]);
    expect(seen.sort()).toEqual(['ab', 'ba']);
  });

  test('rejects a limit below one', () => {
    expect(() => new KeyedSemaphore(0)).toThrow(RangeError);
  });
});
