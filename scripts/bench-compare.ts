/**
 * Compare engine benchmark: parse two real ~460 KB composer.lock files (Open Social 12.3.3 and 12.4.2) and compare
 * them with the security advisory map, as the Slack summary does on every Upgrade; then the Compare page's file
 * list over recorded trees of a few thousand tracked files. Budget: 50 ms per compare.
 * Run: npx tsx scripts/bench-compare.ts [iterations]
 */
import { createHash } from 'node:crypto';
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

// A code base of TREE_FILES tracked files (a full-code Drupal platform), both sides with their small text files
// kept as a build keeps them: 150 modified (100 text with a patch, 50 binary), 40 added, 40 removed.
const TREE_FILES = 5_000;
const sha = (s: string): string => createHash('sha1').update(s).digest('hex');
const pathOf = (i: number): string => `web/modules/custom/m${i % 40}/src/Plugin/Block/File${i}.php`;
const text = (i: number, v: string): string =>
  Array.from({ length: 60 }, (_, l) => (l === 30 ? `  // revision ${v}` : `  $line${l} = 'file ${i} line ${l}';`)).join('\n') + '\n';
const withTree = (side: typeof parsedFrom, version: 'a' | 'b') => {
  const tree: Record<string, string> = {};
  const files: Record<string, string> = { ...side.manifest.files };
  for (let i = 0; i < TREE_FILES; i++) {
    if ((version === 'a' && i >= TREE_FILES - 40) || (version === 'b' && i < 40)) continue; // removed / added
    const changed = i >= 1_000 && i < 1_150;
    const content = text(i, changed ? version : 'same');
    tree[pathOf(i)] = sha(content + (changed && i >= 1_100 ? 'binary' : ''));
    // The binary ones keep no content; 1 in 10 other files are kept as small text (the 2 MB budget).
    if (!(changed && i >= 1_100) && (changed || i % 10 === 0)) files[pathOf(i)] = content;
  }
  return { ...side, manifest: { ...side.manifest, files, tree } };
};
const treeFrom = withTree(parsedFrom, 'a');
const treeTo = withTree(parsedTo, 'b');
const treeCompare = () => comparePlatforms(treeFrom, treeTo, { advisories, fileDiffs: true });
const sample = treeCompare();
console.log(
  `\ntrees of ${Object.keys(treeFrom.manifest.tree).length} and ${Object.keys(treeTo.manifest.tree).length} tracked files: ` +
    `${sample.fileSummary!.added} added, ${sample.fileSummary!.removed} removed, ${sample.fileSummary!.modified} modified, ` +
    `${sample.files.filter((f) => f.patch).length} patches, ${Math.round(sample.files.reduce((n, f) => n + f.patch.length, 0) / 1024)} KB of patch text`,
);
const tree = measure('compare + advisories + tree file diffs (parsed)', treeCompare);

// Worst case the build bounds allow: the whole 2 MB content budget is small text files and every one changed.
const WORST_FILES = 1_000;
const worst = (side: typeof parsedFrom, version: string) => {
  const tree: Record<string, string> = {};
  const files: Record<string, string> = { ...side.manifest.files };
  for (let i = 0; i < WORST_FILES; i++) {
    const content = text(i, version).repeat(2 * 1024 * 1024 / WORST_FILES / 2_000);
    tree[pathOf(i)] = sha(content);
    files[pathOf(i)] = content;
  }
  return { ...side, manifest: { ...side.manifest, files, tree } };
};
const worstFrom = worst(parsedFrom, 'a');
const worstTo = worst(parsedTo, 'b');
const worstSample = comparePlatforms(worstFrom, worstTo, { fileDiffs: true });
console.log(
  `worst case: ${WORST_FILES} changed text files of ${Math.round(worstFrom.manifest.files[pathOf(0)]!.length / 1024)} KB each, ` +
    `${worstSample.files.filter((f) => f.patch).length} patches, ${Math.round(worstSample.files.reduce((n, f) => n + f.patch.length, 0) / 1024)} KB of patch text`,
);
const worstP95 = measure('compare + advisories + tree file diffs, worst case', () =>
  comparePlatforms(worstFrom, worstTo, { advisories, fileDiffs: true }),
);
console.log(`worst-case p95 is ${(worstP95 / BUDGET_MS).toFixed(3)} of the budget`);
console.log(`\ntree file diff p95 is ${(tree / BUDGET_MS).toFixed(3)} of the ${BUDGET_MS} ms budget (${(BUDGET_MS / tree).toFixed(1)}x headroom)`);
console.log(`full compare p95 is ${(full / BUDGET_MS).toFixed(3)} of the ${BUDGET_MS} ms budget (${(BUDGET_MS / full).toFixed(1)}x headroom)`);
