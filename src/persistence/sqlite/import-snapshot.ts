/**
 * One-time import of the JSON snapshot the embedded store used to keep (`$DATA_DIR/distro.json`): validated,
 * inserted in one transaction (all or nothing, foreign keys checked), then the file is renamed
 * `distro.json.imported-<date>` and kept as a backup. A snapshot that cannot be imported whole stops the start
 * with a message naming the record at fault, and is left as it is.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { StoreUnusableError } from '../../domain/errors.js';
import type { Distribution } from '../../domain/distribution.js';
import type { Platform } from '../../domain/platform.js';
import type { Site } from '../../domain/site.js';
import type { Task } from '../../domain/task.js';
import type { UpgradePlan } from '../../domain/upgrade-plan.js';
import type { Logger } from '../../logger.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteRepositories } from './sqlite-repositories.js';

const DATE_TAG = '$date';
const IMPORTED = 'snapshot_imported';

/** The old snapshot file's shape (version 1). */
export interface Snapshot {
  version: 1;
  taskSeq: number;
  distributions: Record<string, Distribution>;
  platforms: Record<string, Platform>;
  sites: Record<string, Site>;
  tasks: Record<string, Task>;
  plans: Record<string, UpgradePlan>;
}
const TABLES = ['distributions', 'platforms', 'sites', 'tasks', 'plans'] as const;

/** JSON with `{"$date": iso}` tags revived; an unparseable date is an error naming where it is. */
const decode = (text: string): unknown => {
  const bad: string[] = [];
  const value = JSON.parse(text, (key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const tagged = (v as Record<string, unknown>)[DATE_TAG];
      if (Object.keys(v).length === 1 && typeof tagged === 'string') {
        const d = new Date(tagged);
        if (Number.isNaN(d.getTime())) bad.push(`"${key}": ${JSON.stringify(tagged)}`);
        return d;
      }
    }
    return v;
  }) as unknown;
  if (bad.length) throw new Error(`invalid date(s) ${bad.slice(0, 5).join(', ')}`);
  return value;
};

export const isSnapshot = (s: unknown): s is Snapshot => {
  const x = s as Partial<Snapshot> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    x.version === 1 &&
    typeof x.taskSeq === 'number' &&
    TABLES.every((t) => typeof x[t] === 'object' && x[t] !== null && !Array.isArray(x[t]))
  );
};

/** Imports `file` if it exists and was not imported yet; returns the number of records imported. */
export const importSnapshotOnce = async (
  db: SqliteDatabase,
  repos: SqliteRepositories,
  file: string,
  logger: Logger,
): Promise<number> => {
  if (!existsSync(file)) return 0;
  const backup = `${file}.imported-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const done = await db.read(() => db.get<{ value: number }>('SELECT value FROM counters WHERE name = ?', IMPORTED));
  if (done) {
    // Imported, then the process died before the rename: finish the rename only.
    renameSync(file, backup);
    return 0;
  }
  const refuse = (problem: string) =>
    new StoreUnusableError(`Cannot import the old store snapshot ${file}: ${problem}. Nothing was imported; the file was left as it is.`, {
      hint: 'Fix or move the file away (the database starts empty without it).',
    });
  let snapshot: unknown;
  try {
    snapshot = decode(readFileSync(file, 'utf8'));
  } catch (e) {
    throw refuse((e as Error).message);
  }
  if (!isSnapshot(snapshot)) throw refuse('it is not a Distro version 1 snapshot');
  const s = snapshot;
  let count = 0;
  try {
    await db.transaction(async () => {
      const each = <T extends { id: string }>(table: (typeof TABLES)[number], insert: (x: T) => void) => {
        for (const [id, record] of Object.entries(s[table] as unknown as Record<string, T>)) {
          try {
            insert({ ...record, id });
          } catch (e) {
            throw new Error(`${table.replace(/s$/, '')} ${id}${'name' in record ? ` (${String(record.name)})` : ''}: ${(e as Error).message}`);
          }
          count += 1;
        }
      };
      each<Distribution>('distributions', (x) => repos.distributions.insert(x));
      each<Platform>('platforms', (x) => repos.platforms.insert(x));
      each<Site>('sites', (x) => repos.sites.insert(x));
      each<Task>('tasks', (x) => repos.tasks.insert(x));
      each<UpgradePlan>('plans', (x) => repos.plans.insert(x));
      db.run(`INSERT INTO counters (name, value) VALUES ('task', ?) ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`, s.taskSeq);
      db.run('INSERT INTO counters (name, value) VALUES (?, ?)', IMPORTED, Date.now());
    });
  } catch (e) {
    throw refuse((e as Error).message);
  }
  renameSync(file, backup);
  logger.info({ from: file, backup, records: count }, 'imported the old store snapshot into the database');
  return count;
};
