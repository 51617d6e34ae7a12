import { describe, expect, test } from '@jest/globals';
import { classifyVersionChange, compareVersions, normaliseVersion } from '../../../src/domain/compare/versions.js';

// Each row is strictly ascending; every pair is checked both ways, so a wrong order anywhere fails.
const ASCENDING: Record<string, string[]> = {
  semver: ['0.9.9', '1.0.0', '1.0.1', '1.0.10', '1.2.0', '2.0.0', '10.0.0'],
  'Composer stabilities': [
    '1.0.0-dev',
    '1.0.0-alpha1',
    '1.0.0-alpha2',
    '1.0.0-beta1',
    '1.0.0-beta2',
    '1.0.0-beta10',
    '1.0.0-rc1',
    '1.0.0-RC2',
    '1.0.0',
    '1.0.0-patch1',
    '1.0.1',
  ],
  'pre-release dev suffix': ['2.0.0-beta1', '2.0.0-beta2-dev', '2.0.0-beta2', '2.0.0'],
  'Drupal 8 contrib': ['8.x-1.0-beta2', '8.x-1.0-rc1', '8.x-1.0', '1.0.1', '8.x-1.3', '1.10.0', '8.x-2.0-alpha1'],
  'Drupal 7 contrib and core': ['7.x-3.9', '7.x-3.14', '7.x-3.x-dev', '7.x-4.0-alpha1'],
  'Drupal 7 core': ['7.59', '7.96', '7.100', '7.x-dev', '8.0.0'],
  'dev branches are the newest of their line': ['1.2.9', '1.2.x-dev', '1.3.0', '2.5.0', '2.x-dev', '3.0.0-alpha1', 'dev-master'],
  // Composer 2: `dev-main` is a branch like any other, not the newest version (only master, default, trunk are).
  'named branches sort below numbers': ['dev-feature-a', 'dev-feature-b', 'dev-main', '0.0.1', 'dev-master'],
  'Drupal.org dev snapshots sit between releases': ['8.x-1.0-beta2', '8.x-1.0-beta2+1-dev', '8.x-1.0-beta2+12-dev', '8.x-1.0-beta3', '8.x-1.0', '8.x-1.0+3-dev', '1.0.1'],
};

describe('compareVersions', () => {
  for (const [label, row] of Object.entries(ASCENDING)) {
    test(`orders ${label}`, () => {
      for (let i = 0; i < row.length; i++) {
        for (let j = 0; j < row.length; j++) {
          expect([row[i], row[j], compareVersions(row[i]!, row[j]!)]).toEqual([row[i], row[j], Math.sign(i - j)]);
        }
      }
    });
  }

  test.each([
    ['8.x-1.3', '1.3.0'],
    ['v2.3.1', '2.3.1'],
    ['1.0', '1.0.0'],
    ['7.x-3.14', '3.14.0'],
    ['8.x-1.0-beta2', '1.0.0-beta2'],
    ['1.0.0-RC1', '1.0.0-rc1'],
    ['1.0.0-b1', '1.0.0-beta1'],
    ['1.0.0-pl1', '1.0.0-patch1'],
    ['dev-trunk', 'dev-master'],
    ['9999999-dev', 'dev-master'],
    ['2.x-dev', '2.x-dev'],
    ['1.0.0+build1', '1.0.0'],
    ['1.0.0-rc1+exp.sha.5114f85', '1.0.0-rc1'],
  ])('%s ≡ %s', (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
    expect(compareVersions(b, a)).toBe(0);
  });

  test('sorts real Open Social tags as numbers, not strings', () => {
    expect(['12.4.2', '12.10.0', '12.0.5', '9.0.0'].sort(compareVersions)).toEqual(['9.0.0', '12.0.5', '12.4.2', '12.10.0']);
  });
});

describe('classifyVersionChange', () => {
  test.each([
    ['1.3.0', '1.4.0', 'upgrade'],
    ['1.4.0', '1.3.0', 'downgrade'],
    ['8.x-1.3', '1.3.0', 'same'],
    ['2.0.0-beta9', '2.0.0', 'upgrade'],
    ['2.x-dev#aaaaaaa', '3.x-dev#bbbbbbb', 'upgrade'],
    ['2.x-dev#aaaaaaa', '2.4.0', 'downgrade'],
    ['dev-master#aaaaaaa', 'dev-master#aaaaaaa', 'same'],
    // Same branch, other commit: the version string cannot say which commit is newer.
    ['dev-master#aaaaaaa', 'dev-master#bbbbbbb', 'unknown'],
    ['2.x-dev#aaaaaaa', '2.x-dev#bbbbbbb', 'unknown'],
    ['dev-feature-a', 'dev-feature-b', 'unknown'],
    ['dev-feature-a', '1.0.0', 'unknown'],
    ['dev-feature-a', 'dev-feature-a', 'same'],
  ])('%s → %s is %s', (from, to, expected) => {
    expect(classifyVersionChange(from, to)).toBe(expected);
  });
});

describe('normaliseVersion', () => {
  test.each([
    ['v1.2.3', '1.2.3'],
    [' 8.x-1.3 ', '1.3'],
    ['7.x-3.x-dev', '3.x-dev'],
    ['7.x-dev', '7.x-dev'],
    ['1.0.0-RC1', '1.0.0-rc1'],
    ['dev-Feature', 'dev-Feature'],
    ['12.4.2', '12.4.2'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseVersion(input)).toBe(expected);
  });
});
