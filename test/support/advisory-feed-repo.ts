/**
 * A real git repository standing in for drupal-composer/drupal-security-advisories: branch `9.x`, one commit per
 * weekly snapshot in test/fixtures/drupal-security-advisories/history (oldest first), pushed one at a time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runGit } from '../../src/upstream/git-exec.js';
import { FIXTURES_DIR } from './fixtures.js';

const HISTORY = join(FIXTURES_DIR, 'drupal-security-advisories', 'history');

/** The snapshot dates, oldest first. */
export const ADVISORY_HISTORY: readonly string[] = readdirSync(HISTORY).filter((d) => /^\d{4}-\d\d-\d\d$/.test(d)).sort();

export const advisorySnapshot = (date: string): string => readFileSync(join(HISTORY, date, 'composer.json'), 'utf8');

export interface AdvisoryFeedRepo {
  path: string;
  url: string;
  branch: string;
  /** Commits `text` as composer.json on the branch; returns the commit sha. */
  commit(text: string, message: string): Promise<string>;
  /** Commits one history snapshot. */
  commitSnapshot(date: string): Promise<string>;
}

const IDENTITY = ['-c', 'user.name=Advisory Fixture', '-c', 'user.email=advisories@example.test', '-c', 'commit.gpgsign=false'];

export const createAdvisoryFeedRepo = async (dir: string, branch = '9.x'): Promise<AdvisoryFeedRepo> => {
  const path = join(dir, 'drupal-security-advisories');
  await mkdir(path, { recursive: true });
  await runGit(['init', '-q', '-b', branch, path]);
  const commit = async (text: string, message: string): Promise<string> => {
    await writeFile(join(path, 'composer.json'), text);
    await runGit([...IDENTITY, 'add', 'composer.json'], { cwd: path });
    await runGit([...IDENTITY, 'commit', '-q', '--allow-empty', '-m', message], { cwd: path });
    return (await runGit(['rev-parse', 'HEAD'], { cwd: path })).stdout.trim();
  };
  return { path, url: pathToFileURL(path).href, branch, commit, commitSnapshot: (date) => commit(advisorySnapshot(date), `Snapshot ${date}`) };
};
