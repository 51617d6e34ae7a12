/** Name → entity resolution with "did you mean" suggestions, shared by every transport. */
import type { Distribution } from '../domain/distribution.js';
import { NotFoundError } from '../domain/errors.js';
import { MAX_NAME_CHARS } from '../domain/field-limits.js';
import { closestMatch } from '../domain/fuzzy.js';
import { ALL_ITEMS, type Repositories } from '../domain/ports.js';
import type { Platform } from '../domain/platform.js';
import type { Site } from '../domain/site.js';

const ID_PATTERN = /^[a-f0-9]{24}$/;

const resolve = async <T>(
  entity: string,
  key: string,
  byId: (id: string) => Promise<T | null>,
  byName: (name: string) => Promise<T | null>,
  names: () => Promise<string[]>,
): Promise<T> => {
  const trimmed = key.trim();
  // Nothing can have a longer name; and "did you mean" over a long key would cost O(key × name) per candidate.
  if (trimmed.length > MAX_NAME_CHARS) throw new NotFoundError(entity, `${trimmed.slice(0, 40)}…`);
  const found = (await byName(trimmed)) ?? (ID_PATTERN.test(trimmed) ? await byId(trimmed) : null);
  if (found) return found;
  throw new NotFoundError(entity, trimmed, closestMatch(trimmed, await names()));
};

export const resolveDistribution = (repos: Repositories, key: string): Promise<Distribution> =>
  resolve(
    'distribution',
    key,
    (id) => repos.distributions.get(id),
    (slug) => repos.distributions.getBySlug(slug),
    async () => (await repos.distributions.list(ALL_ITEMS)).items.map((d) => d.slug),
  );

export const resolvePlatform = (repos: Repositories, key: string): Promise<Platform> =>
  resolve(
    'platform',
    key,
    (id) => repos.platforms.get(id),
    (name) => repos.platforms.getByName(name),
    async () => (await repos.platforms.list(undefined, ALL_ITEMS)).items.map((p) => p.name),
  );

export const resolveSite = (repos: Repositories, key: string): Promise<Site> =>
  resolve(
    'site',
    key.trim().replace(/^https?:\/\//, '').replace(/\/$/, ''),
    (id) => repos.sites.get(id),
    (name) => repos.sites.getByName(name),
    async () => (await repos.sites.list(undefined, ALL_ITEMS)).items.map((s) => s.name),
  );

/** Loads an entity that must exist by id (internal references). */
export const mustGet = async <T>(entity: string, id: string, get: (id: string) => Promise<T | null>): Promise<T> => {
  const found = await get(id);
  if (!found) throw new NotFoundError(entity, id);
  return found;
};
