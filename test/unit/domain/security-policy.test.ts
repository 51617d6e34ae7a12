import { describe, expect, test } from '@jest/globals';
import { securityPolicyProblems, skipsWindows } from '../../../src/domain/security-policy.js';

describe('policy.security', () => {
  test('absent, null and booleans are valid; anything else names its field', () => {
    expect(securityPolicyProblems(undefined)).toEqual([]);
    expect(securityPolicyProblems(null)).toEqual([]);
    expect(securityPolicyProblems({ skipWindows: true, autoUpgrade: false })).toEqual([]);
    expect(securityPolicyProblems([])).toEqual(['policy.security: an object with skipWindows, autoUpgrade']);
    expect(securityPolicyProblems('on')).toEqual(['policy.security: an object with skipWindows, autoUpgrade']);
    expect(securityPolicyProblems({ skipWindows: 1, autoUpgrade: 'true', ['x'.repeat(80)]: true })).toEqual([
      'policy.security.skipWindows: true or false',
      'policy.security.autoUpgrade: true or false',
      `policy.security.${'x'.repeat(50)}: unknown setting (known: skipWindows, autoUpgrade)`,
    ]);
  });

  test('only a security rollout of a distribution with skipWindows skips windows', () => {
    const security = { advisoryEventId: null, automatic: false };
    expect(skipsWindows({ security: { skipWindows: true } }, { security })).toBe(true);
    expect(skipsWindows({ security: { skipWindows: true } }, { security: null })).toBe(false);
    expect(skipsWindows({ security: { autoUpgrade: true } }, { security })).toBe(false);
    expect(skipsWindows({}, { security })).toBe(false);
    expect(skipsWindows(undefined, { security })).toBe(false);
  });
});
