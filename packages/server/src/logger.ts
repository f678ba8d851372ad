import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED, createScrubber, redactPaths } from './secretRedaction.js';

export type { Logger };

export interface LoggerOptions {
  /** Where the JSON lines go; default stdout. */
  destination?: DestinationStream;
  /** Literal secrets (the configured secret keys) to scrub from every line. */
  secrets?: readonly string[];
}

/**
 * Structured JSON logs on stdout; `PARLEY_LOG_LEVEL` picks the level (default info). Secrets
 * (UserSigs, privateMapKeys, secret keys, tokens) are redacted: see secretRedaction.ts.
 */
export function createLogger(
  level = process.env.PARLEY_LOG_LEVEL ?? 'info',
  options: LoggerOptions = {},
): Logger {
  const scrub = createScrubber(options.secrets);
  return pino(
    {
      name: 'parley',
      level,
      redact: { paths: redactPaths(), censor: REDACTED },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination(1),
  );
}
