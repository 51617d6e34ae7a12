// Prints how many store-backed tests ran on which backend, from jest's JSON results: suites whose outermost
// describe title ends in [sqlite], [mongo] (a real MongoDB) or [mongo-wire] (the wire stand-in, whose known
// gaps are listed in test/support/mongo-wire-gaps.ts). So a MongoDB run that did not happen cannot pass unseen.
// Usage: node scripts/backend-counts.mjs test-results/jest.json
import { readFileSync } from 'node:fs';

const results = JSON.parse(readFileSync(process.argv[2] ?? 'test-results/jest.json', 'utf8'));
const counts = new Map();
for (const file of results.testResults) {
  for (const t of file.assertionResults) {
    const backend = /\[(sqlite|mongo|mongo-wire)\]$/.exec(t.ancestorTitles[0] ?? '')?.[1];
    if (!backend) continue;
    const c = counts.get(backend) ?? { passed: 0, failed: 0, skipped: 0 };
    if (t.status === 'passed') c.passed += 1;
    else if (t.status === 'failed') c.failed += 1;
    else c.skipped += 1;
    counts.set(backend, c);
  }
}
const names = { sqlite: 'embedded store (SQLite)', mongo: 'MongoDB (MONGODB_URI)', 'mongo-wire': 'MongoDB-wire stand-in (CongoDB)' };
for (const backend of ['sqlite', 'mongo', 'mongo-wire']) {
  const c = counts.get(backend);
  if (!c) continue;
  const gaps = backend === 'mongo-wire' && c.skipped ? ' (known server gaps, test/support/mongo-wire-gaps.ts)' : '';
  console.log(`[backend] ${backend} — ${names[backend]}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${gaps}`);
}
if (!counts.has('mongo') && !counts.has('mongo-wire')) {
  console.log('[backend] no MongoDB run: the MongoDB contract suites did not run');
  process.exitCode = 1;
}
