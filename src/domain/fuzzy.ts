/** Closest-name suggestions for "Unknown site `x`. Did you mean `y`?". */
export const levenshtein = (a: string, b: string): number => {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
};

/** The candidate nearest to `input` (substring matches first), or undefined when nothing is reasonably close. */
export const closestMatch = (input: string, candidates: Iterable<string>): string | undefined => {
  const needle = input.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const hay = name.toLowerCase();
    const score = hay.includes(needle) || needle.includes(hay) ? 0.5 : levenshtein(needle, hay);
    if (!best || score < best.score) best = { name, score };
  }
  if (!best) return undefined;
  return best.score <= Math.max(2, Math.floor(needle.length / 3)) ? best.name : undefined;
};
