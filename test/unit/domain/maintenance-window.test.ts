import { describe, expect, test } from '@jest/globals';
import { isInWindow, MAX_WINDOW_CHARS, nextOpening, parseWindow, parseWindows, type MaintenanceWindow } from '../../../src/domain/maintenance-window.js';

const win = (text: string): MaintenanceWindow => {
  const w = parseWindow(text);
  if (typeof w === 'string') throw new Error(w);
  return w;
};

describe('maintenance windows: parsing', () => {
  test('days, ranges, times and zones', () => {
    expect(win('Tue,Thu 01:00-04:00 Europe/Amsterdam')).toEqual({ days: [2, 4], start: 60, end: 240, timeZone: 'Europe/Amsterdam', text: 'Tue,Thu 01:00-04:00 Europe/Amsterdam' });
    expect(win('mon-fri 22:00-02:00 UTC').days).toEqual([1, 2, 3, 4, 5]);
    expect(win('Fri-Mon 00:00-24:00 UTC').days).toEqual([0, 1, 5, 6]);
    expect(win('  Sun   03:15-03:45   America/New_York ').text).toBe('Sun 03:15-03:45 America/New_York');
  });

  test.each([
    ['Tue 01:00-04:00', 'three parts'],
    ['Tue 01:00-04:00 Europe/Amsterdam extra', 'three parts'],
    ['Tus 01:00-04:00 UTC', '"Tus" is not a day'],
    ['Mon-Tue-Wed 01:00-04:00 UTC', 'is not a day or a range'],
    ['Tue 1:00-04:00 UTC', 'is not a time range'],
    ['Tue 01:00-24:30 UTC', 'is not a time range'],
    ['Tue 24:00-01:00 UTC', 'is not a time range'],
    ['Tue 01:60-02:00 UTC', 'is not a time range'],
    ['Tue 01:00-01:00 UTC', 'is empty'],
    ['Tue 01:00-04:00 Mars/Olympus', 'is not a time zone'],
    [`Tue 01:00-04:00 ${'A'.repeat(200)}`, `at most ${MAX_WINDOW_CHARS} characters`],
    [42, 'a text like'],
  ])('%s is refused saying %s', (text, problem) => {
    expect(parseWindow(text)).toContain(problem);
  });

  test('a list names each bad entry by index, and is bounded', () => {
    expect(parseWindows(['Mon 01:00-02:00 UTC', 'Noday 01:00-02:00 UTC'], 'policy.rollout.windows').problems).toEqual([
      'policy.rollout.windows.1: "Noday" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun) or a range like Mon-Fri',
    ]);
    expect(parseWindows('Mon 01:00-02:00 UTC', 'w').problems).toEqual(['w: a list of windows like "Tue,Thu 01:00-04:00 Europe/Amsterdam"']);
    expect(parseWindows(Array(15).fill('Mon 01:00-02:00 UTC'), 'w').problems).toEqual(['w: at most 14 windows']);
  });

  test('hostile input is parsed in bounded time (no backtracking)', () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) parseWindow(`${'Mon,'.repeat(24)}Mon ${'0'.repeat(10)}:00-01:00 UTC`);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('maintenance windows: when they are open (Intl, DST-correct)', () => {
  const ams = win('Tue,Thu 01:00-04:00 Europe/Amsterdam');

  test('inside and outside, in the window zone', () => {
    // Tuesday 6 Jan 2026, winter (UTC+1): 01:00–04:00 local = 00:00–03:00 UTC.
    expect(isInWindow(ams, new Date('2026-01-06T00:00:00Z'))).toBe(true);
    expect(isInWindow(ams, new Date('2026-01-06T02:59:00Z'))).toBe(true);
    expect(isInWindow(ams, new Date('2026-01-06T03:00:00Z'))).toBe(false);
    expect(isInWindow(ams, new Date('2026-01-05T23:59:00Z'))).toBe(false);
    // Summer (UTC+2): 01:00 local = 23:00 UTC the day before.
    expect(isInWindow(ams, new Date('2026-07-06T23:00:00Z'))).toBe(true);
    expect(isInWindow(ams, new Date('2026-07-07T02:00:00Z'))).toBe(false);
  });

  test('a window across midnight belongs to the day it opens', () => {
    const night = win('Fri 22:00-02:00 UTC');
    expect(isInWindow(night, new Date('2026-01-09T23:00:00Z'))).toBe(true); // Friday night
    expect(isInWindow(night, new Date('2026-01-10T01:30:00Z'))).toBe(true); // Saturday early
    expect(isInWindow(night, new Date('2026-01-11T01:30:00Z'))).toBe(false); // Sunday early
    expect(nextOpening([night], new Date('2026-01-10T03:00:00Z'))).toEqual(new Date('2026-01-16T22:00:00Z'));
  });

  test('next opening: now when open, else the soonest of all windows', () => {
    const now = new Date('2026-01-06T00:30:00Z');
    expect(nextOpening([ams], now)).toBe(now);
    expect(nextOpening([], now)).toBe(now);
    // Tuesday 06:00 UTC → Thursday 01:00 Amsterdam = 00:00 UTC.
    expect(nextOpening([ams], new Date('2026-01-06T06:00:00Z'))).toEqual(new Date('2026-01-08T00:00:00Z'));
    expect(nextOpening([ams, win('Wed 12:00-13:00 UTC')], new Date('2026-01-06T06:00:00Z'))).toEqual(new Date('2026-01-07T12:00:00Z'));
  });

  test('across the spring DST change (Europe/Amsterdam, 29 March 2026 02:00 → 03:00)', () => {
    const sunday = win('Sun 01:00-04:00 Europe/Amsterdam');
    // Saturday noon UTC: Sunday 01:00 is still winter time, 00:00 UTC.
    expect(nextOpening([sunday], new Date('2026-03-28T12:00:00Z'))).toEqual(new Date('2026-03-29T00:00:00Z'));
    // 03:30 local on the change day is summer time (01:30 UTC): still inside; 04:00 local = 02:00 UTC closes it.
    expect(isInWindow(sunday, new Date('2026-03-29T01:30:00Z'))).toBe(true);
    expect(isInWindow(sunday, new Date('2026-03-29T02:00:00Z'))).toBe(false);
    // A window opening in the skipped hour opens when the clock jumps, 03:00 local = 01:00 UTC.
    const gap = win('Sun 02:30-05:00 Europe/Amsterdam');
    expect(nextOpening([gap], new Date('2026-03-28T12:00:00Z'))).toEqual(new Date('2026-03-29T01:00:00Z'));
    // The week after, 01:00 local is 23:00 UTC on Saturday.
    expect(nextOpening([sunday], new Date('2026-03-29T12:00:00Z'))).toEqual(new Date('2026-04-04T23:00:00Z'));
  });

  test('across the autumn DST change (25 October 2026 03:00 → 02:00): the first 02:30 opens it', () => {
    const w = win('Sun 02:30-03:30 Europe/Amsterdam');
    expect(nextOpening([w], new Date('2026-10-24T12:00:00Z'))).toEqual(new Date('2026-10-25T00:30:00Z'));
  });
});
