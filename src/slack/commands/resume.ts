/** `/distro resume <rollout>`. */
import { rolloutCommand } from './rollout-command.js';

export const resume = rolloutCommand('resume', 'Resume a paused rollout; sites that failed in its last wave are tried again.');
