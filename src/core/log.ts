import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The process's structured logger: one JSON object per line on stdout, so any
 * log shipper can read it. Requests log through a child that carries their id.
 */
export function createLogger(level: string): Logger {
  // Asynchronous: lines are buffered and written off the request's path (pino flushes them on exit).
  return pino({ level, base: { service: 'dailypapers' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: false }));
}

/** A logger that writes nothing, for tests and one-off commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
