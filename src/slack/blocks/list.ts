/** `/distro list`: one line per distribution. */
import type { DistributionOverview } from '../../services/distribution-service.js';
import { code, context, esc, header, linesWithin, message, section, type SlackMessage } from './kit.js';

export const overviewLine = (o: DistributionOverview): string => {
  const target = o.target ? `target ${code(o.target.name)}` : '_no target_';
  const outdated = o.outdatedSiteCount ? ` · :warning: ${o.outdatedSiteCount} out of date` : o.target ? ' · all up to date' : '';
  return `*${esc(o.distribution.title)}* (${code(o.distribution.slug)}) — ${target} · ${o.platformCount} platforms · ${o.siteCount} sites${outdated}`;
};

export const listMessage = (overviews: DistributionOverview[]): SlackMessage => {
  if (!overviews.length) {
    return message('No distributions yet.', [section('No distributions yet. An admin adds them in the Distro admin UI or API.')]);
  }
  return message(`${overviews.length} distributions`, [
    header('Distributions'),
    section(linesWithin(overviews.map(overviewLine))),
    context('`show <distribution>` for its platforms · `status` for out-of-date sites'),
  ]);
};
