/** `/distro pause <rollout>`. */
import { rolloutCommand } from './rollout-command.js';

export const pause = rolloutCommand('pause', 'Pause a rollout: running migrations finish, nothing new starts (e.g. `pause 3`).');
