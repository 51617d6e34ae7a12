/** Plain domain objects for driver-level tests that need no store. */
import type { Distribution } from '../../src/domain/distribution.js';
import { EMPTY_MANIFEST, type Platform } from '../../src/domain/platform.js';
import type { Site } from '../../src/domain/site.js';

const AT = new Date('2025-01-01T00:00:00Z');

export const aPlatform = (name: string, overrides: Partial<Platform> = {}): Platform => ({
  id: name,
  name,
  distributionId: 'd1',
  source: { ref: name, commit: 'a'.repeat(40) },
  manifest: EMPTY_MANIFEST,
  status: 'ready',
  createdBy: { kind: 'system' },
  server: 'web1',
  path: null,
  buildLog: [], buildLogDropped: 0, buildLeaseUntil: null,
  createdAt: AT,
  updatedAt: AT,
  ...overrides,
});

export const aSite = (name: string): Site => ({ id: name, name, platformId: 'p', status: 'enabled', modules: [], history: [], createdAt: AT, updatedAt: AT });

export const aDistribution = (upstream: Distribution['upstream']): Distribution => ({
  id: 'd1',
  slug: 'social',
  title: 'Open Social',
  description: '',
  channel: null,
  upstream,
  policy: { pollIntervalMinutes: 0, autoTarget: false },
  targetPlatformId: null,
  pollState: {}, lastPoll: null,
  createdAt: AT,
  updatedAt: AT,
});
