/**
 * A task's error in one line for reasons and tables, shortened the right way: the command that failed is cut,
 * never the error. Command failures read "`<command>` exited with 1: <output…>"; the output's last line is usually
 * the cause ("SQLSTATE[42S02]: Base table or view not found …"), so the summary keeps the first line (with the
 * command shortened) and the last line whole, and cuts only between them. Linear in the input (no regex on it).
 */
import { isNoiseLine } from './first-error-line.js';
import { redactUrl } from './redact.js';

const COMMAND_CHARS = 60;
/** The last line is kept whole up to this (a bound against pathological output, far above any real error line). */
const MAX_LAST_LINE = 1000;

const ENDINGS = [' exited with ', ' was killed by '];

/** "`drush --root=/very/long/… updb -y` exited with 1: …" → the command part shortened to COMMAND_CHARS. */
const shortenCommand = (line: string): string => {
  for (const ending of ENDINGS) {
    const at = line.indexOf(ending);
    if (at > COMMAND_CHARS) {
      const command = line.slice(0, at);
      const quoted = command.startsWith('`') && command.endsWith('`');
      const inner = quoted ? command.slice(1, -1) : command;
      const cut = `${inner.slice(0, COMMAND_CHARS - 3)}…`;
      return `${quoted ? `\`${cut}\`` : cut}${line.slice(at)}`;
    }
  }
  return line;
};

export const errorSummary = (error: string | null | undefined, max = 300, fallback = 'failed without an error message'): string => {
  const lines = (error ?? '')
    .split('\n')
    .map((l) => l.trim())
    // Generic advice and summaries ("tar: Exiting with failure status …") are not the cause.
    .filter((l) => l && !isNoiseLine(l));
  if (!lines.length) return fallback;
  const first = redactUrl(shortenCommand(lines[0]!));
  const lastRaw = lines.length > 1 ? redactUrl(lines[lines.length - 1]!) : '';
  const last = lastRaw.length > MAX_LAST_LINE ? `…${lastRaw.slice(-MAX_LAST_LINE)}` : lastRaw;
  // One line: a command's error (after its shortened command) is kept whole; other text is cut at the limit.
  if (!last) {
    const limit = ENDINGS.some((e) => first.includes(e)) ? Math.max(max, MAX_LAST_LINE) : max;
    return first.length > limit ? `${first.slice(0, limit - 1)}…` : first;
  }
  // The first line yields its room to the last one (at least the shortened command and its exit stay).
  const room = Math.max(max - last.length - 3, Math.min(first.length, COMMAND_CHARS + 20));
  const head = first.length > room ? `${first.slice(0, room - 1)}…` : first;
  return `${head} … ${last}`;
};
