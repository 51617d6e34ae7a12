import { describe, expect, test } from '@jest/globals';
import { eventNeedsReview, rolloutAwaitingPerson, securityPolicyProblems, skipsWindows } from '../../../src/domain/security-policy.js';

describe('policy.security', () => {
  test('absent, null and booleans are valid; anything else names its field', () => {
    expect(securityPolicyProblems(undefined)).toEqual([]);
    expect(securityPolicyProblems(null)).toEqual([]);
    expect(securityPolicyProblems({ skipWindows: true, autoUpgrade: false })).toEqual([]);
    expect(securityPolicyProblems([])).toEqual(['policy.security: an object with skipWindows, autoUpgrade, maxEventPackages, maxCoveredFraction']);
    expect(securityPolicyProblems('on')).toEqual(['policy.security: an object with skipWindows, autoUpgrade, maxEventPackages, maxCoveredFraction']);
    expect(securityPolicyProblems({ skipWindows: 1, autoUpgrade: 'true', ['x'.repeat(80)]: true })).toEqual([
      'policy.security.skipWindows: true or false',
      'policy.security.autoUpgrade: true or false',
      `policy.security.${'x'.repeat(50)}: unknown setting (known: skipWindows, autoUpgrade, maxEventPackages, maxCoveredFraction)`,
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

  test('the bounds: whole numbers and fractions, each naming its field', () => {
    expect(securityPolicyProblems({ maxEventPackages: 20, maxCoveredFraction: 0.5 })).toEqual([]);
    expect(securityPolicyProblems({ maxEventPackages: 1.5, maxCoveredFraction: 0 })).toEqual([
      'policy.security.maxEventPackages: a whole number from 1 to 100000',
      'policy.security.maxCoveredFraction: a fraction above 0, at most 1 (0.2 = 20%)',
    ]);
    expect(securityPolicyProblems({ maxEventPackages: '5', maxCoveredFraction: 1 })).toEqual(['policy.security.maxEventPackages: a whole number from 1 to 100000']);
  });

  test('an event too big to act on alone: more packages than allowed, or too much of one platform newly covered', () => {
    const small = [{ name: 'p', covered: 2, locked: 200 }];
    expect(eventNeedsReview(undefined, 50, small)).toBeNull();
    expect(eventNeedsReview(undefined, 51, small)).toMatch(/changes 51 packages, more than 50/);
    expect(eventNeedsReview({ maxEventPackages: 100 }, 51, small)).toBeNull();
    expect(eventNeedsReview(undefined, 3, [{ name: 'p', covered: 40, locked: 200 }])).toBeNull();
    expect(eventNeedsReview(undefined, 3, [{ name: 'p', covered: 41, locked: 200 }])).toBe('it newly covers 41 of the 200 packages p locks, more than 20% (policy.security.maxCoveredFraction)');
    expect(eventNeedsReview({ maxCoveredFraction: 0.005 }, 3, small)).toMatch(/newly covers 2 of the 200/);
    expect(eventNeedsReview(undefined, 3, [{ name: 'empty', covered: 0, locked: 0 }])).toBeNull();
  });

  test('sites wait for a person while their newest rollout is paused or failed', () => {
    const r = (state: string, ...sites: string[]) => ({ state, waves: [{ sites: sites.map((siteId) => ({ siteId })) }] });
    const newestFirst = [r('done', 'a'), r('failed', 'a', 'b'), r('paused', 'c')];
    // a's newest rollout is done (a person dealt with it); b's is failed.
    expect(rolloutAwaitingPerson(newestFirst, new Set(['a']))).toBeNull();
    expect(rolloutAwaitingPerson(newestFirst, new Set(['a', 'b']))).toBe(newestFirst[1]);
    expect(rolloutAwaitingPerson(newestFirst, new Set(['c']))).toBe(newestFirst[2]);
    expect(rolloutAwaitingPerson([r('cancelled', 'c'), r('paused', 'c')], new Set(['c']))).toBeNull();
    expect(rolloutAwaitingPerson(newestFirst, new Set(['z']))).toBeNull();
  });
});
