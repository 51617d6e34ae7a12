/** `/distro status [<distribution>]`: out-of-date sites grouped by platform. */
import { plural } from '../../lib/plural.js';
import type { OutdatedReport } from '../../services/distribution-service.js';
import { fitLines } from './fit-lines.js';
import { code, context, esc, header, listWithMore, message, moreText, section, type Block, type SlackMessage } from './kit.js';

export interface StatusOptions {
  /** Page listing every out-of-date site of a distribution (signed link). */
  distributionUrl?: (slug: string) => string;
}

const SITES_PER_PLATFORM = 10;

const reportBlocks = (r: OutdatedReport, options: StatusOptions): Block[] => {
  const title = `*${esc(r.distribution.title)}* (${code(r.distribution.slug)})`;
  if (!r.target) return [section(`${title}: no upgrade target yet — \`target ${esc(`${r.distribution.slug} <platform>`)}\``)];
  const total = r.groups.reduce((n, g) => n + g.sites.length, 0);
  if (!total) return [section(`${title}: :white_check_mark: every site is on the target ${code(r.target.name)}.`)];
  const url = options.distributionUrl?.(r.distribution.slug);
  // Most sites first: that is where an upgrade does the most good.
  const groups = [...r.groups].sort((a, b) => b.sites.length - a.sites.length);
  const lines = groups.map(
    (g) => `• ${code(g.platform.name)} (${g.sites.length}): ${listWithMore(g.sites.map((s) => code(s.name)), SITES_PER_PLATFORM, ', ', url)}`,
  );
  const hiddenSites = (hidden: number) => groups.slice(groups.length - hidden).reduce((n, g) => n + g.sites.length, 0);
  return [
    section(`${title}: :warning: ${plural(total, 'site')} on ${plural(r.groups.length, 'platform')} ${total === 1 ? 'is' : 'are'} behind ${code(r.target.name)}`),
    section(fitLines(lines, { maxChars: 2900, more: (n) => `${moreText(n, url, n === 1 ? 'more platform' : 'more platforms')} (${plural(hiddenSites(n), 'site')})` })),
    context(`\`upgrade --distro ${esc(r.distribution.slug)}\` to review upgrading them all`),
  ];
};

export const statusMessage = (reports: OutdatedReport[], options: StatusOptions = {}): SlackMessage => {
  if (!reports.length) return message('No distributions yet.', [section('No distributions yet.')]);
  const outdated = reports.reduce((n, r) => n + r.groups.reduce((m, g) => m + g.sites.length, 0), 0);
  return message(`${plural(outdated, 'out-of-date site')}`, [header('Upgrade status'), ...reports.flatMap((r) => reportBlocks(r, options))]);
};
