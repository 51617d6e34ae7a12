/** Rollout progress (an upgrade plan's tasks today; a rollout's waves later): succeeded, failed, running, waiting. */
import type { ProgressCounts } from '../../../domain/rollout-progress.js';
import type { SafeHtml } from '../../html.js';
import { stackedBar } from './stacked-bar.js';

export const progressBar = (counts: ProgressCounts, title = 'Progress', id?: string): SafeHtml =>
  stackedBar({
    ...(id ? { id } : {}),
    title,
    segments: [
      { label: 'succeeded', value: counts.succeeded, tone: 'succeeded' },
      { label: 'failed', value: counts.failed, tone: 'failed' },
      { label: 'running', value: counts.running, tone: 'running' },
      { label: 'waiting', value: counts.waiting, tone: 'waiting' },
    ],
  });
