/** Sites by their code's security status: a fix waiting in the target, insecure with no fix yet, no advisory. */
import type { SecurityCounts } from '../../../services/view-service.js';
import type { SafeHtml } from '../../html.js';
import { stackedBar } from './stacked-bar.js';

export const securityBar = (counts: SecurityCounts, title = 'Security of sites', id?: string): SafeHtml =>
  stackedBar({
    ...(id ? { id } : {}),
    title,
    segments: [
      { label: 'insecure, fix waiting', value: counts.fixWaiting, tone: 'fix-waiting' },
      { label: 'insecure, no fix in the target', value: counts.insecure, tone: 'failed' },
      { label: 'no known advisory', value: counts.clean, tone: 'succeeded' },
    ],
  });
