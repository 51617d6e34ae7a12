/** `/distro status [<distribution>]`: out-of-date sites grouped by platform. */
import type { OutdatedReport } from '../../services/distribution-service.js';
import { code, context, esc, header, listWithMore, message, section, type Block, type SlackMessage } from './kit.js';

const reportBlocks = (r: OutdatedReport): Block[] => {
  const title = `*${esc(r.distribution.title)}* (${code(r.distribution.slug)})`;
  if (!r.target) return [section(`${title}: no upgrade target yet — \`target ${esc(r.distribution.slug)} <platform>\``)];
  const total = r.groups.reduce((n, g) => n + g.sites.length, 0);
  if (!total) return [section(`${title}: :white_check_mark: every site is on the target ${code(r.target.name)}.`)];
  const lines = r.groups.map((g) => `• ${code(g.platform.name)} (${g.sites.length}): ${listWithMore(g.sites.map((s) => code(s.name)), 10)}`);
  return [
    section(`${title}: :warning: ${total} sites on ${r.groups.length} platforms are behind ${code(r.target.name)}\n${lines.join('\n')}`),
    context(`\`upgrade --distro ${esc(r.distribution.slug)}\` to review upgrading them all`),
  ];
};

export const statusMessage = (reports: OutdatedReport[]): SlackMessage => {
  if (!reports.length) return message('No distributions yet.', [section('No distributions yet.')]);
  const outdated = reports.reduce((n, r) => n + r.groups.reduce((m, g) => m + g.sites.length, 0), 0);
  return message(`${outdated} out-of-date sites`, [header('Upgrade status'), ...reports.flatMap(reportBlocks)]);
};
