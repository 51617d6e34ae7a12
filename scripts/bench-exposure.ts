/**
 * Exposure benchmark: 1,000 sites on 30 platforms of ~300 locked packages each (the nine real Open Social 12
 * locks, topped up with packages the advisory map names), against the whole real conflict map, replaying the
 * eight real advisory events between the weekly snapshots in test/fixtures/drupal-security-advisories/history.
 * Per event: the incremental update (only platforms locking a changed package) plus the per-site assessment,
 * against the baseline measured in the same run: recomputing every platform's exposure from scratch.
 * Then the same events end to end through AdvisoryService on the embedded store (file feed → poll → commit →
 * assessEvent over the 1,000 sites). Budget: 100 ms per event.
 * Run: npm run bench:exposure [rounds]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexConflictMap, readConflictMap } from '../src/domain/compare/advisories.js';
import { diffConflicts } from '../src/domain/advisory-feed.js';
import { parseManifest } from '../src/domain/compare/manifest.js';
import { ExposureIndex, siteExposure } from '../src/domain/exposure.js';
import type { PackageEntry } from '../src/domain/platform.js';
import { createServices } from '../src/services/create-services.js';
import { FileAdvisoryFeed } from '../src/upstream/advisory-feeds.js';
import { ADVISORY_HISTORY, advisorySnapshot } from '../test/support/advisory-feed-repo.js';
import { embeddedStore } from '../test/support/embedded.js';
import { OPEN_SOCIAL_VERSIONS, openSocialBuild } from '../test/support/fixtures.js';

const BUDGET_MS = 100;
const PLATFORMS = 30;
const SITES = 1_000;
const PACKAGES = 300;
const rounds = Number(process.argv[2] ?? 20);

const maps = ADVISORY_HISTORY.map((d) => readConflictMap(advisorySnapshot(d), d, 10 * 1024 * 1024));
const indexes = maps.map((m) => indexConflictMap(m));
const events = maps.slice(1).map((m, i) => ({ date: ADVISORY_HISTORY[i + 1]!, index: indexes[i + 1]!, names: diffConflicts(maps[i]!, m).map((c) => c.name) }));
const mapPackages = Object.keys(maps[maps.length - 1]!);

// Platforms: a real lock each, topped up to PACKAGES with packages the map covers (versions 1.0 … 3.x).
const platforms = Array.from({ length: PLATFORMS }, (_, i) => {
  const version = OPEN_SOCIAL_VERSIONS[i % OPEN_SOCIAL_VERSIONS.length]!;
  const packages: PackageEntry[] = [...parseManifest(openSocialBuild(version).files).packages];
  const have = new Set(packages.map((p) => p.name));
  for (let k = 0; packages.length < PACKAGES; k++) {
    const name = mapPackages[(i * 37 + k * 11) % mapPackages.length]!;
    if (have.has(name)) continue;
    have.add(name);
    packages.push({ name, version: `${1 + ((i + k) % 3)}.${k % 10}.${i % 4}`, type: 'drupal-module' });
  }
  return { id: `p${i}`, version, packages };
});
// Sites: spread over the platforms; one in five with its enabled modules known.
const sites = Array.from({ length: SITES }, (_, i) => ({
  platformId: `p${i % PLATFORMS}`,
  modules: i % 5 === 0 ? ['node', 'views', 'social_core', `module_${i % 50}`] : [],
}));

/** What an event costs beyond updating the index: which sites the changed packages expose. */
const assess = (index: ExposureIndex, names: string[]): number => {
  let exposed = 0;
  const perPlatform = new Map<string, ReturnType<ExposureIndex['exposedTo']>>();
  for (const p of platforms) perPlatform.set(p.id, index.exposedTo(p.id, names));
  for (const s of sites) {
    const hit = perPlatform.get(s.platformId)!;
    if (hit.length && siteExposure(hit, s.modules).length) exposed++;
  }
  return exposed;
};

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const stats = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1]! };
};
const fmt = (n: number): string => n.toFixed(3).padStart(8);

console.log(
  `${SITES} sites on ${PLATFORMS} platforms × ${PACKAGES} packages; conflict map ${mapPackages.length} packages; ` +
    `${events.length} real events × ${rounds} rounds`,
);

const seedIndex = (): ExposureIndex => {
  const index = new ExposureIndex();
  index.setAdvisories(indexes[0]!);
  for (const p of platforms) index.upsertPlatform(p.id, '1', p.packages);
  return index;
};

const incremental: number[] = [];
const full: number[] = [];
const parse: number[] = [];
const parseReuse: number[] = [];
let checksum = 0;
for (let r = 0; r < rounds; r++) {
  const inc = seedIndex();
  for (const e of events) {
    const i = events.indexOf(e);
    const t0 = performance.now();
    indexConflictMap(maps[i + 1]!);
    parse.push(performance.now() - t0);
    const tr = performance.now();
    indexConflictMap(maps[i + 1]!, { conflict: maps[i]!, index: indexes[i]! });
    parseReuse.push(performance.now() - tr);

    const t1 = performance.now();
    inc.setAdvisories(e.index, e.names);
    const a = assess(inc, e.names);
    incremental.push(performance.now() - t1);

    // Baseline: every platform recomputed against the whole map, then the same assessment.
    const t2 = performance.now();
    const base = new ExposureIndex();
    base.setAdvisories(e.index);
    for (const p of platforms) base.upsertPlatform(p.id, '1', p.packages);
    const b = assess(base, e.names);
    full.push(performance.now() - t2);
    if (a !== b) throw new Error(`incremental and full disagree on ${e.date}: ${a} vs ${b} exposed sites`);
    checksum += a;
  }
}
const si = stats(incremental);
const sf = stats(full);
const sp = stats(parse);
const sr = stats(parseReuse);
console.log(`index the new map from scratch         median ${fmt(sp.median)} ms  p95 ${fmt(sp.p95)} ms`);
console.log(`index it reusing unchanged constraints median ${fmt(sr.median)} ms  p95 ${fmt(sr.p95)} ms  (${(sp.median / sr.median).toFixed(1)}×)`);
console.log(`exposure update + assess (incremental) median ${fmt(si.median)} ms  p95 ${fmt(si.p95)} ms  max ${fmt(si.max)} ms`);
console.log(`baseline: full recompute + assess      median ${fmt(sf.median)} ms  p95 ${fmt(sf.p95)} ms  max ${fmt(sf.max)} ms`);
console.log(`full / incremental (median)            ${(sf.median / si.median).toFixed(1)}×   (exposed-site checksum ${checksum})`);
console.log(
  `per event, map + exposure + assess     incremental ${fmt(sr.median + si.median)} ms  vs  from scratch ${fmt(sp.median + sf.median)} ms  ` +
    `(${((sp.median + sf.median) / (sr.median + si.median)).toFixed(1)}×; budget ${BUDGET_MS} ms)`,
);

// End to end on the embedded store: file feed → poll → commit → assessEvent (listing the 1,000 sites).
const dir = await mkdtemp(join(tmpdir(), 'distro-bench-exposure-'));
const file = join(dir, 'advisories.json');
const { repos, queue } = embeddedStore();
const services = createServices({
  repos,
  jobs: queue(),
  advisoryFeeds: [new FileAdvisoryFeed({ path: file, maxBytes: 10 * 1024 * 1024 })],
  links: { secret: 'bench-link-secret-0123456789', ttlMs: 3_600_000, publicUrl: 'http://127.0.0.1' },
});
await services.distributions.create({ slug: 'social', title: 'Open Social 12', policy: { pollIntervalMinutes: 0, autoTarget: false } });
const d = await repos.distributions.getBySlug('social');
for (const p of platforms) {
  const created = await repos.platforms.create({
    name: `social-${p.id}`,
    distributionId: d!.id,
    source: { ref: p.version, commit: p.id.padStart(40, 'a') },
    createdBy: { kind: 'poll' },
    status: 'ready',
    manifest: { format: 'composer', packages: p.packages, files: {} },
  });
  p.id = created.id;
}
for (let i = 0; i < SITES; i++) {
  const p = platforms[i % PLATFORMS]!;
  await repos.sites.create({ name: `site-${i}.example.org`, platformId: p.id, modules: sites[i]!.modules });
}
const e2e: number[] = [];
await writeFile(file, advisorySnapshot(ADVISORY_HISTORY[0]!));
await services.advisories.poll();
await services.advisories.refresh();
for (const date of ADVISORY_HISTORY.slice(1)) {
  await writeFile(file, advisorySnapshot(date));
  const t0 = performance.now();
  const [outcome] = await services.advisories.poll();
  if (outcome?.outcome !== 'event') throw new Error(`no event for ${date}`);
  await services.advisories.assessEvent(outcome.event);
  e2e.push(performance.now() - t0);
}
const se = stats(e2e);
console.log(
  `end to end (poll file, commit, assess 1,000 sites on SQLite)  median ${fmt(se.median)} ms  max ${fmt(se.max)} ms  ` +
    `max/budget ${(se.max / BUDGET_MS).toFixed(2)}`,
);
await repos.close();
await rm(dir, { recursive: true, force: true });
