import { describe, expect, test } from '@jest/globals';
import { advisoryDigestProblems, digestDueKey, parseDigestSchedule } from '../../../src/domain/advisory-digest.js';

describe('policy.advisoryDigest', () => {
  test('a day list, a time and a zone; every problem names the field', () => {
    expect(advisoryDigestProblems(undefined)).toEqual([]);
    expect(advisoryDigestProblems(null)).toEqual([]);
    expect(advisoryDigestProblems('Mon 09:00 Europe/Amsterdam')).toEqual([]);
    expect(advisoryDigestProblems('Mon,Thu 23:30 UTC')).toEqual([]);
    expect(advisoryDigestProblems(true)).toEqual(['policy.advisoryDigest: a day, a time and a time zone, like "Mon 09:00 Europe/Amsterdam"']);
    expect(advisoryDigestProblems('Mon 09:00')).toEqual([expect.stringMatching(/^policy\.advisoryDigest: three parts/)]);
    expect(advisoryDigestProblems('Mon 9am UTC')).toEqual(['policy.advisoryDigest: "9am" is not a time like 09:00 (24-hour clock)']);
    expect(advisoryDigestProblems('Mon 24:00 UTC')).toEqual(['policy.advisoryDigest: "24:00" is not a time like 09:00 (24-hour clock)']);
    expect(advisoryDigestProblems('Mon 09:00 Nowhere/Land')).toEqual([expect.stringMatching(/^policy\.advisoryDigest: "Nowhere\/Land" is not a time zone/)]);
    expect(advisoryDigestProblems('Funday 09:00 UTC')).toEqual([expect.stringMatching(/^policy\.advisoryDigest: "Funday" is not a day/)]);
    expect(parseDigestSchedule('Mon  09:00  UTC')).toMatchObject({ text: 'Mon 09:00 UTC' });
  });

  test('due within the hour after the scheduled time, keyed by the local date', () => {
    // 2026-03-30 is a Monday; Amsterdam is on summer time (UTC+2) from 2026-03-29.
    const s = 'Mon 09:00 Europe/Amsterdam';
    expect(digestDueKey(s, new Date('2026-03-30T06:59:00Z'))).toBeNull();
    expect(digestDueKey(s, new Date('2026-03-30T07:00:00Z'))).toBe('2026-03-30');
    expect(digestDueKey(s, new Date('2026-03-30T07:59:00Z'))).toBe('2026-03-30');
    expect(digestDueKey(s, new Date('2026-03-30T08:00:00Z'))).toBeNull();
    // A week earlier Amsterdam was on winter time (UTC+1).
    expect(digestDueKey(s, new Date('2026-03-23T08:30:00Z'))).toBe('2026-03-23');
    expect(digestDueKey(s, new Date('2026-03-31T07:30:00Z'))).toBeNull();
    expect(digestDueKey(null, new Date())).toBeNull();
  });

  test('an hour that runs past midnight keeps the scheduled day as its key', () => {
    expect(digestDueKey('Sun 23:30 UTC', new Date('2026-03-29T23:45:00Z'))).toBe('2026-03-29');
    expect(digestDueKey('Sun 23:30 UTC', new Date('2026-03-30T00:15:00Z'))).toBe('2026-03-29');
    expect(digestDueKey('Sun 23:30 UTC', new Date('2026-03-30T00:31:00Z'))).toBeNull();
  });
});
