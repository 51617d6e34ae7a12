/**
 * Logs (pino): JSON lines for log collectors, or pino-pretty's readable lines for a developer at a terminal.
 * Adapters take a Logger so tests can silence or capture them.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogFormat = 'json' | 'pretty';

export const createLogger = (level: string, name = 'distro'): Logger => pino({ name, level });

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** LOG_FORMAT when set; otherwise pretty only for a person at a terminal, never in production. */
export const chooseLogFormat = (requested: LogFormat | 'auto', env: string, stdoutIsTTY: boolean): LogFormat =>
  requested !== 'auto' ? requested : stdoutIsTTY && env !== 'production' ? 'pretty' : 'json';

/** The process logger. pino-pretty is loaded only when used; it writes synchronously so the last lines before exit are kept. */
export const createProcessLogger = async (level: string, format: LogFormat): Promise<Logger> => {
  if (format === 'json') return createLogger(level);
  const { default: pretty } = await import('pino-pretty');
  return pino(
    { name: 'distro', level },
    pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name' }),
  );
};
