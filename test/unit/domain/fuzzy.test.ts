import { describe, expect, test } from '@jest/globals';
import { closestMatch, levenshtein, MAX_FUZZY_CHARS } from '../../../src/domain/fuzzy.js';

/** Textbook full-table Levenshtein, the oracle for the banded one. */
const reference = (a: string, b: string): number => {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
};

/** Small deterministic PRNG so a failure reproduces. */
const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe('levenshtein (banded)', () => {
  test('agrees with the full table: exact below the limit, limit+1 above it (2,000 random pairs)', () => {
    const next = rng(42);
    const word = () => Array.from({ length: Math.floor(next() * 12) }, () => 'abc'[Math.floor(next() * 3)]).join('');
    const wrong: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const a = word();
      const b = word();
      const limit = Math.floor(next() * 6);
      const exact = reference(a, b);
      const banded = levenshtein(a, b, limit);
      if (banded !== (exact <= limit ? exact : limit + 1) || levenshtein(a, b) !== exact) wrong.push(`${a}/${b}/${limit}: ${banded} vs ${exact}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('closestMatch', () => {
  const sites = ['social.example.org', 'intranet.example.org', 'shop.example.org'];

  test('suggests the nearest name for a typo, a substring, nothing for an unrelated name', () => {
    expect(closestMatch('socail.example.org', sites)).toBe('social.example.org');
    expect(closestMatch('intranet', sites)).toBe('intranet.example.org');
    expect(closestMatch('zzzz', sites)).toBeUndefined();
  });

  test('the first of equally close names wins', () => {
    expect(closestMatch('ab', ['ax', 'ay'])).toBe('ax');
  });

  test(`an input over ${MAX_FUZZY_CHARS} characters gets no suggestion, even when one is close`, () => {
    const long = 'a'.repeat(MAX_FUZZY_CHARS + 1);
    expect(closestMatch(long, [long.slice(1) + 'b'])).toBeUndefined();
    expect(closestMatch(long.slice(1), [long.slice(2) + 'b'])).toBe(long.slice(2) + 'b');
  });
});
