/** refNameProblem against git itself: `git check-ref-format` is the oracle for every name git has an opinion on. */
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { MAX_REF_NAME_LENGTH, refNameProblem } from '../../../src/domain/ref-name.js';

const gitAccepts = (name: string): Promise<boolean> =>
  new Promise((resolve) => execFile('git', ['check-ref-format', `refs/heads/${name}`], (error) => resolve(!error)));

const NAMES = [
  'main', '12.4.2', 'release/12.x', 'feature/a-b_c', 'v1.0.0-rc.1', '1.0.1$(touch)', 'a;b', "it's", 'x{y}',
  'a..b', 'a b', 'a\tb', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a@{u}', 'x.lock', 'a/x.lock/b',
  '.hidden', 'a/.b', 'a/', '/a', 'a//b', 'a.', 'a\x7fb', 'a\x01b', '', 'refs/heads/x',
];

describe('refNameProblem', () => {
  test.each(NAMES)('agrees with git check-ref-format on %j', async (name) => {
    expect(refNameProblem(name) === null).toBe(await gitAccepts(name));
  });

  test('also refuses what git accepts as a ref but would read as an option or as HEAD, and very long names', async () => {
    for (const name of ['-x', '--upload-pack=touch', '@', `a${'b'.repeat(MAX_REF_NAME_LENGTH)}`]) {
      expect(await gitAccepts(name)).toBe(true);
      expect(refNameProblem(name)).not.toBeNull();
    }
  });
});
