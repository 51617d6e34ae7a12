/** Structured JSON logs (pino). Adapters take a Logger so tests can silence or capture them. */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** With `redact`, every serialized line (messages, error stacks, objects) passes through it before it is written. */
export const createLogger = (level: string, name = 'distro', redact?: (line: string) => string, destination?: DestinationStream): Logger =>
  pino({ name, level, ...(redact ? { hooks: { streamWrite: redact } } : {}) }, destination);

export const silentLogger = (): Logger => pino({ level: 'silent' });
