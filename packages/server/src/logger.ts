import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; `PARLEY_LOG_LEVEL` picks the level (default info). */
export function createLogger(level = process.env.PARLEY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'parley', level });
}
