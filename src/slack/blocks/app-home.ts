/** App Home tab: distributions, their targets, out-of-date sites and running tasks. */
import type { Task } from '../../domain/task.js';
import type { DistributionOverview } from '../../services/distribution-service.js';
import { context, divider, header, LIMITS, linesWithin, section, withinBlockLimit, type Block } from './kit.js';
import { overviewLine } from './list.js';
import { taskLine } from './task-list.js';

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

export const appHomeView = (overviews: DistributionOverview[], running: Task[], at: Date): HomeView => {
  const outdated = overviews.reduce((n, o) => n + o.outdatedSiteCount, 0);
  const blocks: Block[] = [
    header('Distro dashboard'),
    section(`*${overviews.length}* distributions · *${outdated}* sites out of date · *${running.length}* tasks running or queued`),
    divider(),
    section(overviews.length ? linesWithin(overviews.map(overviewLine)) : '_No distributions yet._'),
    divider(),
    header('Running tasks'),
    section(running.length ? linesWithin(running.map(taskLine)) : '_Nothing running._'),
    context(`Updated ${at.toISOString()} · type \`/distro help\` in any channel for commands`),
  ];
  return { type: 'home', blocks: withinBlockLimit(blocks, LIMITS.homeBlocks) };
};
