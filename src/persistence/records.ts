/**
 * Store-independent pieces shared by the SQLite and mongo repositories, so both adapters fill defaults,
 * validate pages and word their errors identically (the contract suite holds them to that).
 */
import { DEFAULT_POLICY, type Distribution, type NewDistribution } from '../domain/distribution.js';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import { EMPTY_MANIFEST, type NewPlatform, type Platform } from '../domain/platform.js';
import type { Page, PageRequest } from '../domain/ports.js';
import type { NewSite, Site } from '../domain/site.js';
import type { NewTask, Task } from '../domain/task.js';
import type { NewUpgradePlan, UpgradePlan } from '../domain/upgrade-plan.js';

const isDate = (x: unknown): x is Date => Object.prototype.toString.call(x) === '[object Date]';

/**
 * Deep copy of plain data (objects, arrays, Dates). Not structuredClone: that builds objects in Node's main
 * realm, so under a vm-sandboxed runner (jest) `instanceof Date` would fail on the copies.
 */
export const deepCopy = <T>(x: T): T => {
  if (x === null || typeof x !== 'object') return x;
  if (isDate(x)) return new Date(x.getTime()) as T;
  if (Array.isArray(x)) return x.map(deepCopy) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = deepCopy(v);
  return out as T;
};

/**
 * Task and build logs keep their newest lines only, each cut to a maximum length, and count what they dropped:
 * no record can approach MongoDB's 16 MB document limit however much a build or post-migrate command prints.
 */
export const LOG_MAX_LINES = 1000;
export const LOG_MAX_LINE_CHARS = 2000;
export const clipLine = (line: string): string => (line.length > LOG_MAX_LINE_CHARS ? `${line.slice(0, LOG_MAX_LINE_CHARS - 1)}…` : line);

/** Server name used when a platform is created without one (single-node installs). */
export const DEFAULT_SERVER = 'local';

export const newDistributionRecord = (input: NewDistribution, now: Date): Omit<Distribution, 'id'> => ({
  slug: input.slug,
  title: input.title,
  description: input.description ?? '',
  channel: input.channel ?? null,
  upstream: input.upstream ?? null,
  policy: input.policy ?? { ...DEFAULT_POLICY },
  targetPlatformId: null,
  pollState: {},
  lastPoll: null,
  createdAt: now,
  updatedAt: now,
});

export const newPlatformRecord = (input: NewPlatform, now: Date): Omit<Platform, 'id'> => ({
  name: input.name,
  distributionId: input.distributionId,
  source: { ref: input.source.ref, commit: input.source.commit },
  manifest: input.manifest ?? deepCopy(EMPTY_MANIFEST),
  status: input.status ?? 'queued',
  createdBy: input.createdBy,
  server: input.server ?? DEFAULT_SERVER,
  path: input.path ?? null,
  buildLog: [],
  buildLogDropped: 0,
  buildLeaseUntil: null,
  createdAt: now,
  updatedAt: now,
});

export const newSiteRecord = (input: NewSite, now: Date): Omit<Site, 'id'> => ({
  name: input.name,
  platformId: input.platformId,
  status: input.status ?? 'enabled',
  modules: input.modules ?? [],
  history: [{ platformId: input.platformId, from: now }],
  createdAt: now,
  updatedAt: now,
});

export const newTaskRecord = (input: NewTask, number: number, now: Date): Omit<Task, 'id'> => ({
  number,
  type: input.type,
  subject: { kind: input.subject.kind, id: input.subject.id, name: input.subject.name },
  fromPlatformId: input.fromPlatformId ?? null,
  toPlatformId: input.toPlatformId ?? null,
  planId: input.planId ?? null,
  state: 'queued',
  requestedBy: input.requestedBy,
  confirmedBy: input.confirmedBy ?? null,
  log: [],
  logDropped: 0,
  step: null,
  checkpoint: {},
  attempts: 0,
  lease: null,
  error: null,
  createdAt: now,
  startedAt: null,
  finishedAt: null,
});

export const newPlanRecord = (input: NewUpgradePlan, now: Date): Omit<UpgradePlan, 'id'> => ({
  distributionId: input.distributionId,
  targetPlatformId: input.targetPlatformId,
  scope: input.scope,
  moves: input.moves.map((m) => ({ siteId: m.siteId, siteName: m.siteName, fromPlatformId: m.fromPlatformId })),
  blocked: input.blocked,
  state: 'pending',
  requestedBy: input.requestedBy,
  confirmedBy: null,
  taskIds: [],
  skipped: null,
  message: null,
  createdAt: now,
  updatedAt: now,
});

/** Keeps only the allowed keys whose value is not undefined (callers may pass wider objects at run time). */
export const pickPatch = <T extends object, K extends keyof T>(patch: T, keys: readonly K[]): Partial<Pick<T, K>> => {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (patch[k] !== undefined) out[k] = patch[k];
  return out;
};

export const DISTRIBUTION_PATCH_KEYS = ['title', 'description', 'channel', 'upstream', 'policy'] as const;
export const PLATFORM_PATCH_KEYS = ['manifest', 'path', 'source'] as const;
export const SITE_PATCH_KEYS = ['status', 'modules'] as const;
export const TASK_PATCH_KEYS = ['error', 'startedAt', 'finishedAt', 'lease', 'confirmedBy', 'attempts', 'step', 'checkpoint'] as const;
export const PLAN_PATCH_KEYS = ['confirmedBy', 'taskIds'] as const;

/** Rejects nonsense pages loudly instead of silently returning an odd slice. */
export const assertPage = (page: PageRequest | undefined): void => {
  if (!page) return;
  const bad: string[] = [];
  if (!Number.isInteger(page.limit) || page.limit < 0) bad.push(`limit must be a non-negative integer, got ${page.limit}`);
  if (!Number.isInteger(page.offset) || page.offset < 0) bad.push(`offset must be a non-negative integer, got ${page.offset}`);
  if (bad.length) throw new ValidationError('Invalid page request.', bad);
};

export const slicePage = <T>(items: T[], page: PageRequest | undefined): Page<T> => {
  assertPage(page);
  return { items: page ? items.slice(page.offset, page.offset + page.limit) : items, total: items.length };
};

/** Orders `found` like `ids`, skipping ids that do not exist (getMany contract). */
export const inIdOrder = <T extends { id: string }>(ids: string[], found: T[]): T[] => {
  const byId = new Map(found.map((x) => [x.id, x]));
  return [...new Set(ids)].flatMap((id) => {
    const x = byId.get(id);
    return x ? [x] : [];
  });
};

export const conflicts = {
  slug: (slug: string) => new ConflictError(`A distribution with slug \`${slug}\` already exists.`),
  platformName: (name: string) => new ConflictError(`A platform named \`${name}\` already exists.`),
  platformCommit: (commit: string) =>
    new ConflictError(`This distribution already has a platform for commit \`${commit.slice(0, 12)}\`.`),
  siteName: (name: string) => new ConflictError(`A site named \`${name}\` already exists.`),
  siteMigrating: (name: string) =>
    new ConflictError(`\`${name}\` is migrating; try again when its task ends.`, { next: { action: 'list-tasks', site: name } }),
  activeTask: (key: string) =>
    new ConflictError(`An active ${key.split(':')[0]} task already exists for this ${key.split(':')[1]}.`, {
      hint: 'Wait for it to finish or cancel it first.',
    }),
};

export const notFound = (entity: string, id: string): NotFoundError => new NotFoundError(entity, id);
