import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret (token, signature) with the expected one in constant time. Both are hashed first so
 * they have equal length and the comparison time says nothing about either.
 */
export const safeEqual = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
