/** `/distro exposure` and the App Home section: which sites the advisories in force expose, and the way out. */
import { plural } from '../../lib/plural.js';
import type { DistributionExposure, FeedStatus, SiteExposureRow } from '../../services/advisory-service.js';
import { fitLines } from './fit-lines.js';
import { code, context, esc, header, message, section, type Block, type SlackMessage } from './kit.js';

/** One line per distribution: exposed sites, the packages exposing them, whether the target fixes them. */
export const exposureLine = (e: DistributionExposure): string => {
  const title = `*${esc(e.distribution.title)}* (${code(e.distribution.slug)})`;
  if (!e.exposedSites) return `${title}: :white_check_mark: no site exposed`;
  const packages = e.packages.slice(0, 5).map((p) => `${code(p.name)} (${p.sites})`).join(', ') + (e.packages.length > 5 ? `, +${e.packages.length - 5}` : '');
  const way = !e.target
    ? 'no upgrade target'
    : e.targetExposed.length
      ? `the target ${code(e.target.name)} still has ${e.targetExposed.map((p) => `${code(p.name)} ${esc(p.version)}`).join(', ')}`
      : `the target ${code(e.target.name)} fixes them`;
  return `${title}: :rotating_light: ${plural(e.exposedSites, 'site')} of ${e.totalSites} exposed: ${packages}; ${way}`;
};

/** Where the advisories come from and whether the last poll was refused. */
export const feedLine = (feeds: FeedStatus[]): string =>
  feeds.length
    ? feeds
        .map((f) =>
          f.snapshot
            ? `Advisories ${esc(f.label)} at ${code(f.snapshot.commit.replace(/^sha256:/, '').slice(0, 10))} (${plural(f.snapshot.packages, 'package')})` +
              (f.lastError ? ` · :warning: last poll refused: ${esc(f.lastError.slice(0, 200))}` : '')
            : `Advisories ${esc(f.label)}: no snapshot yet${f.lastError ? ` (${esc(f.lastError.slice(0, 200))})` : ''}`,
        )
        .join('\n')
    : 'Advisories: the bundled map (no feed configured)';

export const exposureMessage = (summary: DistributionExposure[], feeds: FeedStatus[]): SlackMessage => {
  const exposed = summary.reduce((n, e) => n + e.exposedSites, 0);
  const blocks: Block[] = [
    header('Security exposure'),
    section(summary.length ? fitLines(summary.map(exposureLine)) : 'No distributions yet.'),
    context(feedLine(feeds)),
  ];
  return message(exposed ? `${plural(exposed, 'site')} exposed to security advisories` : 'No site is exposed to a security advisory.', blocks);
};

/** `/distro exposure <package>`: the sites running a covered version of one package, by platform. */
export const packageExposureMessage = (packageName: string, rows: SiteExposureRow[], total: number, feeds: FeedStatus[]): SlackMessage => {
  const byPlatform = new Map<string, { version: string; distribution: string; sites: number }>();
  for (const r of rows) {
    const hit = r.packages.find((p) => p.name.toLowerCase() === packageName.toLowerCase());
    const entry = byPlatform.get(r.platform.name) ?? { version: hit?.version ?? '?', distribution: r.distribution.slug, sites: 0 };
    entry.sites++;
    byPlatform.set(r.platform.name, entry);
  }
  const lines = [...byPlatform]
    .sort((a, b) => b[1].sites - a[1].sites)
    .map(([platform, e]) => `• ${code(platform)} (${code(e.distribution)}): ${esc(e.version)}, ${plural(e.sites, 'site')}`);
  const text = total ? `${plural(total, 'site')} run a version of ${packageName} covered by an advisory.` : `No site runs a version of ${packageName} covered by an advisory.`;
  return message(text, [
    header(`Exposure: ${packageName}`.slice(0, 150)),
    section(total ? `*${plural(total, 'site')}* run a covered version of ${code(packageName)}:\n${fitLines(lines, { maxChars: 2500 })}` : `:white_check_mark: ${esc(text)}`),
    context(feedLine(feeds)),
  ]);
};
