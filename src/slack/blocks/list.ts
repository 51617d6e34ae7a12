/** `/distro list`: one line per distribution. */
import type { DistributionOverview } from '../../services/distribution-service.js';
import { plural } from '../../lib/plural.js';
import { fitLines } from './fit-lines.js';
import { code, context, esc, header, message, section, type SlackMessage } from './kit.js';

export const overviewLine = (o: DistributionOverview): string => {
  const target = o.target ? `target ${code(o.target.name)}` : '_no target_';
  const outdated = o.outdatedSiteCount ? ` · :warning: ${o.outdatedSiteCount} out of date` : o.target ? ' · all up to date' : '';
  return `*${esc(o.distribution.title)}* (${code(o.distribution.slug)}) — ${target} · ${plural(o.platformCount, 'platform')} · ${plural(o.siteCount, 'site')}${outdated}`;
};

export const listMessage = (overviews: DistributionOverview[]): SlackMessage => {
  if (!overviews.length) {
    return message('No distributions yet.', [section('No distributions yet. An admin adds them in the Distro admin UI or API.')]);
  }
  return message(plural(overviews.length, 'distribution'), [
    header('Distributions'),
    section(fitLines(overviews.map(overviewLine))),
    // `<…>` is a link to Slack: the placeholder is escaped, or it vanishes from the line.
    context(`\`show ${esc('<distribution>')}\` for its platforms · \`status\` for out-of-date sites`),
  ]);
};
