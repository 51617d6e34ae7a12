/** App Home tab: distributions, their targets, out-of-date sites and running tasks. */
import type { Task } from '../../domain/task.js';
import type { DistributionOverview } from '../../services/distribution-service.js';
import { plural } from '../../lib/plural.js';
import { fitLines } from './fit-lines.js';
import { context, divider, header, LIMITS, section, slackDate, withinBlockLimit, type Block } from './kit.js';
import { overviewLine } from './list.js';
import { exposureLine, feedLine } from './exposure.js';
import type { DistributionExposure, FeedStatus } from '../../services/advisory-service.js';
import { taskLine } from './task-list.js';

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

/** Security exposure, shown when known: distributions with exposed sites, and the feed's state. */
export interface HomeExposure {
  summary: DistributionExposure[];
  feeds: FeedStatus[];
}

export const appHomeView = (overviews: DistributionOverview[], running: Task[], at: Date, exposure?: HomeExposure): HomeView => {
  const outdated = overviews.reduce((n, o) => n + o.outdatedSiteCount, 0);
  const blocks: Block[] = [
    header('Distro dashboard'),
    section(`*${plural(overviews.length, 'distribution')}* · *${plural(outdated, 'site')}* out of date · *${plural(running.length, 'task')}* running or queued`),
    divider(),
    section(overviews.length ? fitLines(overviews.map(overviewLine)) : '_No distributions yet._'),
    divider(),
    ...(exposure ? exposureBlocks(exposure) : []),
    header('Running tasks'),
    section(running.length ? fitLines(running.map(taskLine)) : '_Nothing running._'),
    context(`Updated ${slackDate(at)} · type \`/distro help\` in any channel for commands`),
  ];
  return { type: 'home', blocks: withinBlockLimit(blocks, LIMITS.homeBlocks) };
};

const exposureBlocks = (e: HomeExposure): Block[] => {
  const exposed = e.summary.filter((s) => s.exposedSites > 0);
  return [
    header('Security exposure'),
    section(exposed.length ? fitLines(exposed.map(exposureLine)) : ':white_check_mark: No site runs a version covered by a security advisory.'),
    context(feedLine(e.feeds)),
    divider(),
  ];
};
