/** SignInStore contract: every adapter must pass it (the throttle's counts are what stops a guesser). */
import { describe, expect, it } from '@jest/globals';
import { signInRules, type ThrottleRule } from '../../src/domain/login-throttle.js';
import { freshRepos, type StoreInstance } from '../support/stores.js';

const T0 = new Date(Date.UTC(2026, 0, 1));
const later = (ms: number): Date => new Date(T0.getTime() + ms);

export const signInStoreContract = (label: string, create: () => Promise<StoreInstance>): void => {
  describe(`SignInStore (${label})`, () => {
    const repos = freshRepos(create);

    it('counts attempts per rule and refuses the one over the limit with the time left', async () => {
      const rules = signInRules('alice', '10.0.0.1');
      for (let i = 0; i < 5; i++) expect(await repos().signIns.reserveAttempt(rules, later(i))).toBe(0);
      // The pair rule (5 per 15 min) refuses until its window ends; the account's delay is shorter.
      expect(await repos().signIns.reserveAttempt(rules, later(10))).toBe(15 * 60_000 - 10);
      // Another address for the same account only meets the account's delay (1 s after the 5th attempt).
      const other = signInRules('alice', '10.0.0.2');
      expect(await repos().signIns.reserveAttempt(other, later(10))).toBe(1000 + 4 - 10);
      expect(await repos().signIns.reserveAttempt(other, later(1004))).toBe(0);
      // After the window everything starts over.
      expect(await repos().signIns.reserveAttempt(rules, later(15 * 60_000))).toBe(0);
    });

    it('all or none: a refusing rule leaves the other rules uncounted', async () => {
      const tight: ThrottleRule = { key: 'tight', limit: 1, windowMs: 60_000 };
      const loose: ThrottleRule = { key: 'loose', limit: 2, windowMs: 60_000 };
      expect(await repos().signIns.reserveAttempt([tight], T0)).toBe(0);
      expect(await repos().signIns.reserveAttempt([loose, tight], T0)).toBe(60_000);
      expect(await repos().signIns.reserveAttempt([loose], T0)).toBe(0);
      expect(await repos().signIns.reserveAttempt([loose], T0)).toBe(0);
      expect(await repos().signIns.reserveAttempt([loose], T0)).toBe(60_000);
    });

    it('30 concurrent reservations against a limit of 5: exactly 5 are counted', async () => {
      const rule: ThrottleRule = { key: 'race', limit: 5, windowMs: 60_000 };
      // The first attempt creates the key's record; the race is over the counting (compare-and-set), which is
      // what concurrent guesses at one account contend for.
      expect(await repos().signIns.reserveAttempt([rule], T0)).toBe(0);
      const results = await Promise.all(Array.from({ length: 29 }, () => repos().signIns.reserveAttempt([rule], T0)));
      expect(results.filter((w) => w === 0)).toHaveLength(4);
    });

    it('refund takes one attempt back, clear forgets the key', async () => {
      const rule: ThrottleRule = { key: 'r', limit: 2, windowMs: 60_000 };
      await repos().signIns.reserveAttempt([rule], T0);
      await repos().signIns.reserveAttempt([rule], T0);
      expect(await repos().signIns.reserveAttempt([rule], T0)).toBeGreaterThan(0);
      await repos().signIns.refundAttempt(['r', 'absent']);
      expect(await repos().signIns.reserveAttempt([rule], T0)).toBe(0);
      await repos().signIns.clearAttempts(['r']);
      expect(await repos().signIns.reserveAttempt([rule], T0)).toBe(0);
      expect(await repos().signIns.reserveAttempt([rule], T0)).toBe(0);
    });

    it('keeps one re-hashed password per user, replaced by the next', async () => {
      expect(await repos().signIns.getRehash('alice')).toBeNull();
      await repos().signIns.setRehash('alice', 'digest-1', 'scrypt:hash-1');
      await repos().signIns.setRehash('alice', 'digest-2', 'scrypt:hash-2');
      expect(await repos().signIns.getRehash('alice')).toEqual({ source: 'digest-2', hash: 'scrypt:hash-2' });
    });
  });
};
