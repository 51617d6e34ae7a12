import { describe, expect, test } from '@jest/globals';
import { errorSummary } from '../../../src/lib/error-summary.js';

describe('errorSummary: shorten the command, never the error', () => {
  test('a long command is cut, the error after it kept whole', () => {
    const command = `\`drush --root=/srv/platforms/social-12.4.2/${'x'.repeat(120)} --uri=a.example.org updb -y\``;
    const error = `${command} exited with 1: SQLSTATE[42S02]: Base table or view not found: 1146 Table 'db.cache_config' doesn't exist`;
    const s = errorSummary(error);
    expect(s).toContain("exited with 1: SQLSTATE[42S02]: Base table or view not found: 1146 Table 'db.cache_config' doesn't exist");
    expect(s.startsWith('`drush --root=/srv/platforms/social-12.4.2/')).toBe(true);
    expect(s).toContain('…` exited with 1');
  });

  test("several lines: the first (command shortened) and the last line whole, even past the limit's share of the first", () => {
    const error = [`\`${'drush updb -y '.repeat(20)}\` exited with 1: [notice] Update started: system_update_10100`, ...Array.from({ length: 30 }, (_, i) => `[notice] step ${i}`), `[error]  SQLSTATE[HY000]: General error: 1205 Lock wait timeout exceeded; try restarting transaction (${'q'.repeat(150)})`].join('\n');
    const s = errorSummary(error, 200);
    expect(s.endsWith(`[error]  SQLSTATE[HY000]: General error: 1205 Lock wait timeout exceeded; try restarting transaction (${'q'.repeat(150)})`)).toBe(true);
    expect(s).toMatch(/^`drush updb -y [^`]*…` exited with 1/);
    expect(s).not.toContain('step 3');
  });

  test('short errors stay as they are; empty ones say so; URL credentials are redacted', () => {
    expect(errorSummary('Health check failed: http://x/ answered 500, expected 200')).toBe('Health check failed: http://x/ answered 500, expected 200');
    expect(errorSummary('')).toBe('failed without an error message');
    expect(errorSummary(null, 300, 'failed')).toBe('failed');
    expect(errorSummary('clone of https://deploy:tok3n@git.example.org/x.git failed')).toBe('clone of https://***@git.example.org/x.git failed');
  });
});
