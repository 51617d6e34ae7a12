/** `/distro cancel-rollout <rollout>`. */
import { rolloutCommand } from './rollout-command.js';

export const cancelRollout = rolloutCommand('cancel-rollout', 'Cancel a rollout: queued migrations are cancelled, running ones finish.');
