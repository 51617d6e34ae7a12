/**
 * Closest-name suggestions for "Unknown site `x`. Did you mean `y`?". The input is whatever a user typed, so the work
 * is bounded: long inputs get no suggestion, and each candidate costs at most a band of the edit-distance table.
 */

/** Names longer than this (input or candidate) are not fuzzy-matched: typos are suggested for names people type. */
export const MAX_FUZZY_CHARS = 100;
/** Candidates looked at per lookup; a typo suggestion is a courtesy, not a search engine. */
export const MAX_FUZZY_CANDIDATES = 1_000;

/** At most this many edits make a typo; past that the names are just different (and the band stays narrow). */
export const MAX_FUZZY_EDITS = 4;

/**
 * Levenshtein distance, or `limit + 1` when it is over `limit`: only the diagonal band of width 2·limit+1 is filled
 * (cells outside it are over the limit anyway), and it stops once a whole row is over. O(limit · |a|).
 */
export const levenshtein = (whole: string, other: string, limit = Math.max(whole.length, other.length)): number => {
  if (whole === other) return 0;
  const over = limit + 1;
  if (Math.abs(whole.length - other.length) > limit) return over;
  // A common prefix and suffix never change the distance; names that share a domain or a prefix shrink a lot.
  let start = 0;
  while (start < whole.length && start < other.length && whole.charCodeAt(start) === other.charCodeAt(start)) start++;
  let end = 0;
  while (end < whole.length - start && end < other.length - start && whole.charCodeAt(whole.length - 1 - end) === other.charCodeAt(other.length - 1 - end)) end++;
  const a = whole.slice(start, whole.length - end);
  const b = other.slice(start, other.length - end);
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j <= limit ? j : over;
  for (let i = 1; i <= a.length; i++) {
    const from = i - limit > 1 ? i - limit : 1;
    const to = i + limit < b.length ? i + limit : b.length;
    // The cells just outside the band read as "over": the arrays are reused, so they may hold stale values.
    cur[0] = i <= limit ? i : over;
    if (from > 1) cur[from - 1] = over;
    let rowMin = from === 1 ? cur[0] : over;
    const ai = a.charCodeAt(i - 1);
    let left = cur[from - 1]!;
    for (let j = from; j <= to; j++) {
      const diagonal = prev[j - 1]! + (ai === b.charCodeAt(j - 1) ? 0 : 1);
      const up = prev[j]! + 1;
      let v = left + 1;
      if (up < v) v = up;
      if (diagonal < v) v = diagonal;
      if (over < v) v = over;
      cur[j] = v;
      left = v;
      if (v < rowMin) rowMin = v;
    }
    if (to < b.length) cur[to + 1] = over;
    if (rowMin > limit) return over;
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev[b.length]! < over ? prev[b.length]! : over;
};

/** The candidate nearest to `input` (substring matches first), or undefined when nothing is reasonably close. */
export const closestMatch = (input: string, candidates: Iterable<string>): string | undefined => {
  if (input.length > MAX_FUZZY_CHARS) return undefined;
  const needle = input.toLowerCase();
  const limit = Math.min(MAX_FUZZY_EDITS, Math.max(2, Math.floor(needle.length / 3)));
  let best: { name: string; score: number } | undefined;
  let looked = 0;
  for (const name of candidates) {
    if (++looked > MAX_FUZZY_CANDIDATES) break;
    if (name.length > MAX_FUZZY_CHARS) continue;
    const hay = name.toLowerCase();
    // Only a candidate that beats the best so far matters, so the band narrows as better ones turn up.
    const bound = best ? Math.min(limit, Math.ceil(best.score) - 1) : limit;
    const score = hay.includes(needle) || needle.includes(hay) ? 0.5 : levenshtein(needle, hay, bound);
    if (score <= limit && (!best || score < best.score)) best = { name, score };
  }
  return best?.name;
};
