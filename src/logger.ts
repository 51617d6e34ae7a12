/** Structured JSON logs (pino). Adapters take a Logger so tests can silence or capture them. */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const createLogger = (level: string, name = 'distro'): Logger => pino({ name, level });

export const silentLogger = (): Logger => pino({ level: 'silent' });
