/**
 * The wave plan and next maintenance window an upgrade summary shows before Confirm ("canary: alumni; then 3
 * batches of 4; next window Tue 01:00 Europe/Amsterdam, in 7 h"), computed by the upgrade service from the
 * distribution's policy (the same text the upgrade page shows).
 */
import type { PlanView } from '../../services/upgrade-service.js';
import { esc, section, type Block } from './kit.js';

export const rolloutPreviewBlocks = (view: Pick<PlanView, 'preview' | 'plan' | 'stale' | 'movable'>): Block[] =>
  view.preview && view.plan.state === 'pending' && !view.stale && view.movable > 0 ? [section(`:calendar: *Rollout plan:* ${esc(view.preview)}`)] : [];
