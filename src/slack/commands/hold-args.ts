/** `<name> <reason…>`: the first word names the subject, the rest (required) is the reason, as typed. */
import type { CommandArgs } from './command-entry.js';

export const nameAndReason = (a: CommandArgs, what: string): { name: string; reason: string } => {
  const [name, ...words] = a.args;
  if (!name) throw a.bad(`Say which ${what}, and why.`);
  if (!words.length) throw a.bad(`Say why (e.g. \`waiting for client sign-off\`): it is shown wherever ${name} appears.`);
  return { name, reason: words.join(' ') };
};
