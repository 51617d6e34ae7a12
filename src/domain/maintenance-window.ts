/**
 * Weekly maintenance windows, e.g. `Tue,Thu 01:00-04:00 Europe/Amsterdam` or `Mon-Fri 22:00-02:00 UTC` (an end
 * at or before the start runs into the next day). Parsed strictly by splitting on spaces and commas (no
 * regex that can backtrack), bounded in length. Times are wall-clock times in the window's zone, read with Intl,
 * so a window follows daylight saving time: `01:00-04:00 Europe/Amsterdam` is 00:00–03:00 UTC in winter and
 * 23:00–02:00 UTC in summer. A wall time that does not exist (skipped by a DST change) opens at the first instant
 * after the gap.
 */

export const MAX_WINDOW_CHARS = 100;
export const MAX_WINDOWS = 14;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface MaintenanceWindow {
  /** Weekdays the window opens on, 0 = Sunday. */
  days: number[];
  /** Minutes after local midnight. */
  start: number;
  end: number;
  timeZone: string;
  /** The text it was parsed from. */
  text: string;
}

const dayIndex = (name: string): number => DAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());

const parseDays = (text: string): number[] | string => {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const range = part.split('-');
    if (range.length > 2) return `"${part}" is not a day or a range of days`;
    const from = dayIndex(range[0]!);
    const to = range.length === 2 ? dayIndex(range[1]!) : from;
    if (from < 0 || to < 0) return `"${part}" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun) or a range like Mon-Fri`;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((a, b) => a - b);
};

const TIME = /^(\d{2}):(\d{2})$/;

const parseTime = (text: string, allow24: boolean): number | null => {
  const m = TIME.exec(text);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && (min !== 0 || !allow24))) return null;
  return h * 60 + min;
};

const validZone = (zone: string): boolean => {
  if (zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Parses one window; returns the problem as text when it is not one. */
export const parseWindow = (text: unknown): MaintenanceWindow | string => {
  if (typeof text !== 'string') return 'a text like "Tue,Thu 01:00-04:00 Europe/Amsterdam"';
  if (text.length > MAX_WINDOW_CHARS) return `at most ${MAX_WINDOW_CHARS} characters`;
  const parts = text.trim().split(' ').filter(Boolean);
  if (parts.length !== 3) return 'three parts, days, times and time zone, like "Tue,Thu 01:00-04:00 Europe/Amsterdam"';
  const [dayText, timeText, timeZone] = parts as [string, string, string];
  const days = parseDays(dayText);
  if (typeof days === 'string') return days;
  const times = timeText.split('-');
  const start = times.length === 2 ? parseTime(times[0]!, false) : null;
  const end = times.length === 2 ? parseTime(times[1]!, true) : null;
  if (start === null || end === null) return `"${timeText}" is not a time range like 01:00-04:00 (24-hour clock)`;
  if (start === end) return `"${timeText}" is empty: start and end are the same`;
  if (!validZone(timeZone)) return `"${timeZone.slice(0, 64)}" is not a time zone (an IANA name like Europe/Amsterdam, or UTC)`;
  return { days, start, end, timeZone, text: parts.join(' ') };
};

/** Parses a list of windows; problems name the field (`<field>.<index>: problem`). */
export const parseWindows = (texts: unknown, field: string): { windows: MaintenanceWindow[]; problems: string[] } => {
  if (!Array.isArray(texts)) return { windows: [], problems: [`${field}: a list of windows like "Tue,Thu 01:00-04:00 Europe/Amsterdam"`] };
  if (texts.length > MAX_WINDOWS) return { windows: [], problems: [`${field}: at most ${MAX_WINDOWS} windows`] };
  const windows: MaintenanceWindow[] = [];
  const problems: string[] = [];
  texts.forEach((t, i) => {
    const w = parseWindow(t);
    if (typeof w === 'string') problems.push(`${field}.${i}: ${w}`);
    else windows.push(w);
  });
  return { windows, problems };
};

interface Wall {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

/** The wall-clock date and time of `at` in `timeZone`. */
const wallTime = (at: Date, timeZone: string): Wall => {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: dayIndex(parts.weekday ?? ''),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
};

/** Offset of `timeZone` from UTC at `at`, in ms (wall time minus UTC). */
const offsetAt = (at: Date, timeZone: string): number => {
  const w = wallTime(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, 0, w.minutes);
  return asUtc - (at.getTime() - (at.getTime() % 60_000));
};

/**
 * The first instant the wall time (y, m, d, minutes) happens in `timeZone`: the earlier one when clocks going back
 * make it happen twice, and the end of the gap (the first instant at or after it) when clocks going forward skip it.
 * Offsets change at most once a day in every zone, so the offsets a day before and after are the only candidates.
 */
const instantOf = (year: number, month: number, day: number, minutes: number, timeZone: string): number => {
  const guess = Date.UTC(year, month - 1, day, 0, minutes);
  const wallOf = (t: number) => {
    const w = wallTime(new Date(t), timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, 0, w.minutes);
  };
  const candidates = [...new Set([guess - offsetAt(new Date(guess - 86_400_000), timeZone), guess - offsetAt(new Date(guess + 86_400_000), timeZone)])].sort((a, b) => a - b);
  const exact = candidates.filter((t) => wallOf(t) === guess);
  if (exact.length) return exact[0]!;
  // In a gap: the first minute between the candidates whose wall time is at or past the wanted one (≤ a few hours).
  for (let t = candidates[0]!; t <= candidates[candidates.length - 1]!; t += 60_000) if (wallOf(t) >= guess) return t;
  return candidates[candidates.length - 1]!;
};

/** Whether `at` falls inside the window. */
export const isInWindow = (w: MaintenanceWindow, at: Date): boolean => {
  const wall = wallTime(at, w.timeZone);
  const crosses = w.end <= w.start;
  if (!crosses) return w.days.includes(wall.weekday) && wall.minutes >= w.start && wall.minutes < w.end;
  const yesterday = (wall.weekday + 6) % 7;
  return (w.days.includes(wall.weekday) && wall.minutes >= w.start) || (w.days.includes(yesterday) && wall.minutes < w.end);
};

/**
 * When work may start: `now` when it is inside one of the windows (or there are none), else the next instant one
 * opens. Looks up to 8 days ahead (every weekly window opens within 7).
 */
export const nextOpening = (windows: readonly MaintenanceWindow[], now: Date): Date => {
  if (!windows.length || windows.some((w) => isInWindow(w, now))) return now;
  let best = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    const today = wallTime(now, w.timeZone);
    for (let i = 0; i <= 8; i++) {
      // Calendar arithmetic on a UTC date, so month ends and leap years are handled by Date.
      const d = new Date(Date.UTC(today.year, today.month - 1, today.day + i));
      if (!w.days.includes(d.getUTCDay())) continue;
      const t = instantOf(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), w.start, w.timeZone);
      if (t > now.getTime() && t < best) best = t;
    }
  }
  return new Date(best);
};

/** The window text, for messages ("waiting for a maintenance window: Tue,Thu 01:00-04:00 Europe/Amsterdam"). */
export const describeWindows = (windows: readonly MaintenanceWindow[]): string => windows.map((w) => w.text).join('; ');

/**
 * The next `count` instants any of the windows opens after `now` (a window open now counts from its next opening),
 * earliest first: the preview shown beside the windows on the policy form. Looks 7 days ahead per opening wanted.
 */
export const nextOpenings = (windows: readonly MaintenanceWindow[], now: Date, count = 3): Date[] => {
  const found = new Set<number>();
  const days = 7 * Math.max(1, count) + 1;
  for (const w of windows) {
    const today = wallTime(now, w.timeZone);
    for (let i = 0; i <= days; i++) {
      const d = new Date(Date.UTC(today.year, today.month - 1, today.day + i));
      if (!w.days.includes(d.getUTCDay())) continue;
      const t = instantOf(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), w.start, w.timeZone);
      if (t > now.getTime()) found.add(t);
    }
  }
  return [...found].sort((a, b) => a - b).slice(0, count).map((t) => new Date(t));
};

/** `Tue 01:00 Europe/Amsterdam`: an instant as the wall time of a zone, with the zone's name. */
export const formatInZone = (at: Date, timeZone: string): string => {
  const w = wallTime(at, timeZone);
  const hh = String(Math.floor(w.minutes / 60)).padStart(2, '0');
  const mm = String(w.minutes % 60).padStart(2, '0');
  return `${DAYS[w.weekday] ?? '?'} ${hh}:${mm} ${timeZone}`;
};

/** `in 25 min`, `in 7 h`, `in 3 days`: how far ahead an instant is (rounded down to the unit shown). */
export const formatIn = (at: Date, now: Date): string => {
  const minutes = Math.max(0, Math.round((at.getTime() - now.getTime()) / 60_000));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.floor(hours / 24)} days`;
};
