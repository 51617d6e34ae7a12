/**
 * Logs (pino): JSON lines for log collectors, or pino-pretty's readable lines for a developer at a terminal.
 * Adapters take a Logger so tests can silence or capture them.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { currentRequestId } from './lib/request-context.js';

export type Logger = PinoLogger;
export type LogFormat = 'json' | 'pretty';

/** Loggers that bind the request id themselves (the access log) set this, so the line does not carry it twice. */
export const BINDS_REQUEST_ID = Symbol('binds request id');

/** Every line written while a request (or a job it started) runs names its request id. */
const mixin = (_obj: object, _level: number, logger: PinoLogger): object => {
  const requestId = currentRequestId();
  return requestId && !(logger as PinoLogger & { [BINDS_REQUEST_ID]?: boolean })[BINDS_REQUEST_ID] ? { requestId } : {};
};

/** With `redact`, every serialized line (messages, error stacks, objects) passes through it before it is written. */
export const createLogger = (level: string, name = 'distro', redact?: (line: string) => string, destination?: DestinationStream): Logger =>
  pino({ name, level, mixin, ...(redact ? { hooks: { streamWrite: redact } } : {}) }, destination);

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** LOG_FORMAT when set; otherwise pretty only for a person at a terminal, never in production. */
export const chooseLogFormat = (requested: LogFormat | 'auto', env: string, stdoutIsTTY: boolean): LogFormat =>
  requested !== 'auto' ? requested : stdoutIsTTY && env !== 'production' ? 'pretty' : 'json';

/** The process logger. pino-pretty is loaded only when used; it writes synchronously so the last lines before exit are kept. */
export const createProcessLogger = async (level: string, format: LogFormat, redact?: (line: string) => string): Promise<Logger> => {
  if (format === 'json') return createLogger(level, 'distro', redact);
  const { default: pretty } = await import('pino-pretty');
  return pino(
    { name: 'distro', level, mixin, ...(redact ? { hooks: { streamWrite: redact } } : {}) },
    pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name' }),
  );
};
