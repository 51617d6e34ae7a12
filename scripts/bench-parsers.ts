/**
 * Parser worst cases (issue 8): each hostile input next to a baseline measured in the same run, parsing the real
 * Open Social 12.4.2 composer.lock (~460 KB), so the ratio says "costs as much as N ordinary lock parses".
 * The hostile inputs stalled the event loop for 3.6 s to 21 s before the fixes.
 * Run: npm run bench:parsers [-- iterations]
 */
import { parseAdvisories } from '../src/domain/compare/advisories.js';
import { MAX_COMPOSER_CHARS, MAX_MAKE_INI_CHARS, parseManifest } from '../src/domain/compare/manifest.js';
import { MAX_YAML_CHARS } from '../src/domain/compare/parse-yaml.js';
import { parseVersion } from '../src/domain/compare/versions.js';
import { matchesTagPattern } from '../src/domain/distribution.js';
import { closestMatch, MAX_FUZZY_CANDIDATES, MAX_FUZZY_CHARS } from '../src/domain/fuzzy.js';
import { openSocialBuild } from '../test/support/fixtures.js';

const WARMUP = 5;
const iterations = Number(process.argv[2] ?? 30);

/** Refusing the input is the expected outcome for several cases; the time to refuse is what is measured. */
const attempt = (run: (i: number) => unknown, i: number): void => {
  try {
    run(i);
  } catch {
    // refused
  }
};

const median = (run: (i: number) => unknown): number => {
  for (let i = 0; i < WARMUP; i++) attempt(run, -1 - i);
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    attempt(run, i);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
};

const lock = openSocialBuild('12.4.2').files;
const baseline = median(() => parseManifest(lock));
console.log(`baseline: parse the Open Social 12.4.2 composer.lock, median ${baseline.toFixed(2)} ms (${iterations} runs)\n`);

const wideYaml = (() => {
  let text = 'projects:\n';
  for (let i = 0; text.length < MAX_YAML_CHARS - 40; i++) text += `  p${i}:\n    version: "1.${i}"\n`;
  return text;
})();
const wideIni = (() => {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < MAX_MAKE_INI_CHARS - 60; i++) size += lines[lines.push(`projects[p${i}][version] = 1.${i}`) - 1]!.length + 1;
  return lines.join('\n');
})();
// Every name within the edit band of the typo, differing at both ends (no common prefix or suffix to strip).
const names = Array.from({ length: MAX_FUZZY_CANDIDATES }, (_, i) => `${i}-`.padEnd(MAX_FUZZY_CHARS - 1, 'a') + String.fromCharCode(65 + (i % 26)));
const typo = names[MAX_FUZZY_CANDIDATES - 13]!.slice(0, 50) + 'Q' + names[MAX_FUZZY_CANDIDATES - 13]!.slice(51);

const advisory = (constraint: string) => parseAdvisories(JSON.stringify({ conflict: { 'a/b': constraint } }));

const cases: [string, (i: number) => unknown][] = [
  ['parseVersion 1.0.0-beta + 28 ones + x (was 8.9 s)', (i) => parseVersion(`1.0.0-beta${'1'.repeat(28)}x${i}`)],
  ['tag glob *a*…*b on 36 chars (was 9.5 s)', () => matchesTagPattern('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(36))],
  ['tag glob, 128 stars on a 255-char tag', () => matchesTagPattern(`${'*a'.repeat(127)}*b`, 'a'.repeat(255))],
  ['did-you-mean for a 1 MB name (was 21 s)', () => closestMatch('x'.repeat(1_000_000), names)],
  [`did-you-mean at ${MAX_FUZZY_CHARS} chars, ${MAX_FUZZY_CANDIDATES} close names`, () => closestMatch(typo, names)],
  ['YAML makefile nested 60,000 deep (was 6.3 s / crash)', () => parseManifest({ 'a.make.yml': `projects: ${'['.repeat(60_000)}` })],
  [`YAML makefile at the size limit (${MAX_YAML_CHARS / 1024} KB, wide)`, () => parseManifest({ 'a.make.yml': wideYaml })],
  [`INI makefile at the size limit (${MAX_MAKE_INI_CHARS / 1024} KB)`, () => parseManifest({ 'a.make': wideIni })],
  ['composer.lock nested 10^6 deep', () => parseManifest({ 'composer.lock': `{"packages":[${'['.repeat(1e6)}]}` })],
  [`composer.lock over the limit (${MAX_COMPOSER_CHARS / 1024 / 1024} MB + 1)`, () => parseManifest({ 'composer.lock': ' '.repeat(MAX_COMPOSER_CHARS + 1) })],
  ['advisory constraint of 60,000 spaces', () => parseAdvisories(JSON.stringify({ conflict: { 'a/b': `${' '.repeat(60_000)}x` } }))],
  ['advisory constraint: 60,000 spaces before a hyphen', () => advisory(`1.0${' '.repeat(60_000)}- 2.0`)],
  ['advisory constraint: 30,000 `- ` pairs', () => advisory(`1.0 ${'- '.repeat(30_000)}2.0`)],
  ['advisory constraint: 4,000 alternatives (52 KB)', () => advisory('^1.2@beta || 1.0 - 2.0 || '.repeat(2_000) + '*')],
  ['advisory constraint: one 60,000-char term', () => advisory(`1.0-beta${'1-'.repeat(30_000)}x`)],
];

for (const [label, run] of cases) {
  const ms = median(run);
  console.log(`${label.padEnd(62)} median ${ms.toFixed(2).padStart(8)} ms   ×baseline ${(ms / baseline).toFixed(2).padStart(6)}`);
}
