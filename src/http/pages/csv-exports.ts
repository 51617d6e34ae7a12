/** The admin pages' CSV exports (sites, tasks, Compare rows): pure functions from view data to CSV text. */
import type { CompareResult } from '../../domain/compare/types.js';
import type { Site } from '../../domain/site.js';
import type { Task } from '../../domain/task.js';
import { toCsv } from '../../lib/csv.js';
import { firstErrorLine } from '../../lib/first-error-line.js';

export const sitesCsv = (rows: { site: Site; platform: string }[]): string =>
  toCsv(
    ['site', 'status', 'platform', 'modules', 'created_at', 'on_platform_since'],
    rows.map(({ site, platform }) => [site.name, site.status, platform, site.modules.join(' '), site.createdAt, site.history.at(-1)?.from ?? site.createdAt]),
  );

export const tasksCsv = (tasks: Task[], platformNames: Map<string, string>): string =>
  toCsv(
    ['number', 'type', 'subject_kind', 'subject', 'from_platform', 'to_platform', 'state', 'step', 'created_at', 'started_at', 'finished_at', 'error'],
    tasks.map((t) => [
      t.number,
      t.type,
      t.subject.kind,
      t.subject.name,
      platformNames.get(t.fromPlatformId ?? '') ?? '',
      platformNames.get(t.toPlatformId ?? '') ?? '',
      t.state,
      t.step,
      t.createdAt,
      t.startedAt,
      t.finishedAt,
      t.error ? firstErrorLine(t.error) : '',
    ]),
  );

export const compareCsv = (result: CompareResult): string =>
  toCsv(
    ['package', 'type', 'current', 'target', 'change', 'severity', 'security_fixed', 'still_insecure', 'reason'],
    result.packages.map((p) => [
      p.name,
      p.type ?? '',
      p.from,
      p.to,
      p.change,
      p.severity,
      p.security?.fixed ? 'yes' : '',
      p.security?.targetInsecure ? 'yes' : '',
      p.reason ?? '',
    ]),
  );

/** `Content-Disposition` of a download named `name` (made of safe characters only). */
export const attachment = (name: string): string => `attachment; filename="${name.replace(/[^A-Za-z0-9._-]+/g, '-')}"`;
