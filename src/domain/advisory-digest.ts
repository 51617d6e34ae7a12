/**
 * The weekly advisory digest of a distribution (`policy.advisoryDigest`): when set, its channel gets one message a
 * week (or on each day named) listing the sites still exposed and what would fix them, since events announce only
 * the sites they newly expose. The schedule is a day list, a time and a time zone, like a maintenance window's
 * opening: "Mon 09:00 Europe/Amsterdam". Validated here for every surface; each problem names its field.
 */
import { isInWindow, parseWindow, type MaintenanceWindow } from './maintenance-window.js';

/** How long after its time a digest may still go out (the recurring job runs several times within it). */
export const DIGEST_WINDOW_MINUTES = 60;

const EXAMPLE = '"Mon 09:00 Europe/Amsterdam"';

/** The schedule as the window its digest may go out in, or the problem as text. */
export const parseDigestSchedule = (text: unknown): MaintenanceWindow | string => {
  if (typeof text !== 'string') return `a day, a time and a time zone, like ${EXAMPLE}`;
  const parts = text.trim().split(' ').filter(Boolean);
  if (parts.length !== 3) return `three parts, days, time and time zone, like ${EXAMPLE}`;
  const [days, time, zone] = parts as [string, string, string];
  const m = /^(\d\d):(\d\d)$/.exec(time);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return `"${time.slice(0, 20)}" is not a time like 09:00 (24-hour clock)`;
  const end = (Number(m[1]) * 60 + Number(m[2]) + DIGEST_WINDOW_MINUTES) % (24 * 60);
  const hhmm = `${String(Math.floor(end / 60)).padStart(2, '0')}:${String(end % 60).padStart(2, '0')}`;
  const w = parseWindow(`${days} ${time}-${hhmm} ${zone}`);
  return typeof w === 'string' ? w : { ...w, text: parts.join(' ') };
};

/** Problems of a `policy.advisoryDigest` value, each naming its field; [] when valid or absent (null: no digest). */
export const advisoryDigestProblems = (value: unknown, field = 'policy.advisoryDigest'): string[] => {
  if (value === undefined || value === null) return [];
  const w = parseDigestSchedule(value);
  return typeof w === 'string' ? [`${field}: ${w}`] : [];
};

/**
 * The key of the digest due at `now` (the schedule's local date, so each day's digest has its own), or null when
 * `now` is not within DIGEST_WINDOW_MINUTES after a scheduled time.
 */
export const digestDueKey = (schedule: string | null | undefined, now: Date): string | null => {
  if (!schedule) return null;
  const w = parseDigestSchedule(schedule);
  if (typeof w === 'string' || !isInWindow(w, now)) return null;
  // The date the window opened on, in its zone (a 23:30 schedule's window runs past midnight).
  const opened = new Date(now.getTime() - DIGEST_WINDOW_MINUTES * 60_000 * (localMinutes(now, w.timeZone) < w.start ? 1 : 0));
  return new Intl.DateTimeFormat('en-CA', { timeZone: w.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(opened);
};

const localMinutes = (at: Date, timeZone: string): number => {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute');
};
