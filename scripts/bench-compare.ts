/**
 * Compare engine benchmark: parse two real ~460 KB composer.lock files (Open Social 12.3.3 and 12.4.2) and compare
 * them with the security advisory map, as the Slack summary does on every Upgrade. Budget: 50 ms per compare.
 * Run: npx tsx scripts/bench-compare.ts [iterations]
 */
import { parseAdvisories } from '../src/domain/compare/advisories.js';
import { comparePlatforms } from '../src/domain/compare/compare.js';
import { parseManifest } from '../src/domain/compare/manifest.js';
import { advisoriesJson, openSocialBuild } from '../test/support/fixtures.js';

const BUDGET_MS = 50;
const WARMUP = 30;
const iterations = Number(process.argv[2] ?? 300);

const from = openSocialBuild('12.3.3').files;
const to = openSocialBuild('12.4.2').files;
const advisories = parseAdvisories(advisoriesJson());

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const measure = (label: string, run: () => unknown): number => {
  for (let i = 0; i < WARMUP; i++) run();
  const times: number[] = [];
  let sink = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const out = run();
    times.push(performance.now() - t0);
    sink += out ? 1 : 0;
  }
  times.sort((a, b) => a - b);
  const median = percentile(times, 50);
  const p95 = percentile(times, 95);
  console.log(
    `${label.padEnd(48)} median ${median.toFixed(2).padStart(6)} ms   p95 ${p95.toFixed(2).padStart(6)} ms   ` +
      `p95/budget ${(p95 / BUDGET_MS).toFixed(3)}   (${sink} runs)`,
  );
  return p95;
};

const size = (files: Record<string, string>): string => `${Math.round(files['composer.lock']!.length / 1024)} KB`;
console.log(`composer.lock 12.3.3 ${size(from)}, 12.4.2 ${size(to)}; ${advisories.packages.size} advisory packages; ${iterations} iterations after ${WARMUP} warm-up`);

const p = (files: Record<string, string>, name: string) => ({ id: name, name, manifest: parseManifest(files) });
const parsedFrom = p(from, 'social-12.3.3');
const parsedTo = p(to, 'social-12.4.2');

measure('parse advisory map (once per file change)', () => parseAdvisories(advisoriesJson()));
measure('parse one composer.lock', () => parseManifest(to));
measure('compare only (manifests already parsed)', () => comparePlatforms(parsedFrom, parsedTo, { advisories }));
const full = measure('parse both + compare + advisories', () =>
  comparePlatforms(p(from, 'social-12.3.3'), p(to, 'social-12.4.2'), { advisories }),
);
measure('parse both + compare + advisories + file diffs', () =>
  comparePlatforms(p(from, 'social-12.3.3'), p(to, 'social-12.4.2'), { advisories, fileDiffs: true }),
);
console.log(`\nfull compare p95 is ${(full / BUDGET_MS).toFixed(3)} of the ${BUDGET_MS} ms budget (${(BUDGET_MS / full).toFixed(1)}x headroom)`);
