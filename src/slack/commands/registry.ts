/**
 * The one list of `/distro` subcommands, in help order. Typed so that a Command kind without an entry (or an entry
 * for no kind) does not compile; the parser, the dispatcher, help and the manifest test all read it.
 */
import type { CommandKind } from '../command-parser.js';
import { cancel } from './cancel.js';
import { cancelRollout } from './cancel-rollout.js';
import type { CommandEntry } from './command-entry.js';
import { compare } from './compare.js';
import { exposure } from './exposure.js';
import { help } from './help.js';
import { list } from './list.js';
import { pause } from './pause.js';
import { poll } from './poll.js';
import { build } from './build.js';
import { adopt } from './adopt.js';
import { resume } from './resume.js';
import { rollouts } from './rollouts.js';
import { lock } from './lock.js';
import { pin } from './pin.js';
import { rollback } from './rollback.js';
import { show } from './show.js';
import { status } from './status.js';
import { target } from './target.js';
import { tasks } from './tasks.js';
import { unlock } from './unlock.js';
import { unpin } from './unpin.js';
import { upgrade } from './upgrade.js';

export const COMMANDS = {
  help,
  list,
  show,
  status,
  target,
  upgrade,
  compare,
  poll,
  build,
  adopt,
  tasks,
  cancel,
  rollouts,
  pause,
  resume,
  'cancel-rollout': cancelRollout,
  rollback,
  lock,
  unlock,
  pin,
  unpin,
  exposure,
} as const satisfies {
  [K in CommandKind]: CommandEntry<K>;
};
