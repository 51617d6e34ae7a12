/** Real Open Social builds (test/fixtures/open-social/<version>) as data for tests and benchmarks. */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareVersions } from '../../src/domain/compare/versions.js';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const OPEN_SOCIAL = join(FIXTURES_DIR, 'open-social');

/** All fixture versions, oldest first. */
export const OPEN_SOCIAL_VERSIONS: readonly string[] = readdirSync(OPEN_SOCIAL).sort(compareVersions);

export interface FixtureBuild {
  version: string;
  files: Record<string, string>;
  /** Upstream commit SHA, date and message from the COMMIT file. */
  commit: string;
  date: string;
  message: string;
}

const cache = new Map<string, FixtureBuild>();

export const openSocialBuild = (version: string): FixtureBuild => {
  const hit = cache.get(version);
  if (hit) return hit;
  const dir = join(OPEN_SOCIAL, version);
  const [commit = '', date = '', ...message] = readFileSync(join(dir, 'COMMIT'), 'utf8').trim().split(' ');
  const build = {
    version,
    files: {
      'composer.json': readFileSync(join(dir, 'composer.json'), 'utf8'),
      'composer.lock': readFileSync(join(dir, 'composer.lock'), 'utf8'),
    },
    commit,
    date,
    message: message.join(' '),
  };
  cache.set(version, build);
  return build;
};

export const advisoriesJson = (): string =>
  readFileSync(join(FIXTURES_DIR, 'drupal-security-advisories', 'composer.json'), 'utf8');
