/**
 * Feed work is bounded (issue 21 item 6, in part): a valid-looking but heavy advisory map (thousands of
 * alternatives per package, as in the red-team's 4.98 MB feed) is refused whole, so every version lookup and
 * exposure pass stays bounded; the real map is well inside the limits. The refusal through the poller, with its
 * notice and the last good snapshot kept, is in test/e2e/advisory-feed-refusals.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  indexConflictMap,
  indexingConflictMap,
  MAX_ALTERNATIVES_PER_CONSTRAINT,
  MAX_ALTERNATIVES_TOTAL,
  parseAdvisories,
  parseAdvisoryFeed,
} from '../../src/domain/compare/advisories.js';
import { runInSlices } from '../../src/lib/run-in-slices.js';

const feed = (conflict: Record<string, string>): string => JSON.stringify({ conflict });
const alternatives = (n: number, prefix = '1.0.'): string => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join('|');

describe('advisory map limits', () => {
  test('the red-team feed shape (~9,300 alternatives per package) is refused, naming the package', () => {
    const heavy = feed({ 'drupal/core': alternatives(9_300, ''), 'drupal/views': alternatives(9_300, '') });
    expect(() => parseAdvisoryFeed(heavy, 'The feed', 10 * 1024 * 1024)).toThrow(`drupal/core: more than ${MAX_ALTERNATIVES_PER_CONSTRAINT} alternatives in one constraint`);
  });

  test('many packages each under the per-constraint limit are refused past the total', () => {
    const wide = feed(Object.fromEntries(Array.from({ length: MAX_ALTERNATIVES_TOTAL / MAX_ALTERNATIVES_PER_CONSTRAINT + 1 }, (_, p) => [`drupal/m${p}`, alternatives(MAX_ALTERNATIVES_PER_CONSTRAINT)])));
    expect(() => parseAdvisoryFeed(wide, 'The feed', 10 * 1024 * 1024)).toThrow(`more than ${MAX_ALTERNATIVES_TOTAL} alternatives in all`);
  });

  test('at the limits a map is taken', () => {
    const full = feed(Object.fromEntries(Array.from({ length: MAX_ALTERNATIVES_TOTAL / MAX_ALTERNATIVES_PER_CONSTRAINT }, (_, p) => [`drupal/m${p}`, alternatives(MAX_ALTERNATIVES_PER_CONSTRAINT)])));
    expect(parseAdvisoryFeed(full, 'The feed', 10 * 1024 * 1024).index.packages.size).toBe(MAX_ALTERNATIVES_TOTAL / MAX_ALTERNATIVES_PER_CONSTRAINT);
  });

  test('the real map is well inside both limits', async () => {
    const text = await readFile(join(process.cwd(), 'test', 'fixtures', 'drupal-security-advisories', 'composer.json'), 'utf8');
    const { conflict } = parseAdvisoryFeed(text, 'The real feed', 10 * 1024 * 1024);
    const counts = Object.values(conflict).map((c) => c.split('|').length);
    expect(Math.max(...counts) * 2).toBeLessThan(MAX_ALTERNATIVES_PER_CONSTRAINT);
    expect(counts.reduce((a, b) => a + b, 0) * 4).toBeLessThan(MAX_ALTERNATIVES_TOTAL);
    // The bundled file is read leniently: an over-long constraint is skipped and named, the rest applies.
    const lenient = parseAdvisories(feed({ 'drupal/core': alternatives(MAX_ALTERNATIVES_PER_CONSTRAINT + 1), 'drupal/views': '<1.0' }));
    expect(lenient.skipped).toEqual([`drupal/core: more than ${MAX_ALTERNATIVES_PER_CONSTRAINT} alternatives in one constraint`]);
    expect(lenient.packages.get('drupal/views')?.ranges).toHaveLength(1);
  });

  test('the worst valid map is indexed in slices: the event loop runs in between, and the index is the same', async () => {
    const worst = Object.fromEntries(
      Array.from({ length: MAX_ALTERNATIVES_TOTAL / MAX_ALTERNATIVES_PER_CONSTRAINT }, (_, p) => [`drupal/heavy${p}`, Array.from({ length: MAX_ALTERNATIVES_PER_CONSTRAINT }, (_, i) => `>=${p}.${i}.0,<${p}.${i}.5`).join('|')]),
    );
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const t0 = performance.now();
    const sliced = await runInSlices(indexingConflictMap(worst), 4);
    const ms = performance.now() - t0;
    ticking = false;
    // The event loop turned all along (slices of 4 ms asked; at most 100 ms per turn on average allows for a machine
    // busy with other suites), where the whole map used to be indexed in one piece of several hundred ms.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(ms / 100));
    expect(turns).toBeGreaterThan(10);
    const whole = indexConflictMap(worst);
    expect(sliced.skipped).toEqual([]);
    expect([...sliced.packages.keys()]).toEqual([...whole.packages.keys()]);
    expect(sliced.packages.get('drupal/heavy3')?.ranges).toHaveLength(MAX_ALTERNATIVES_PER_CONSTRAINT);
  });
});
