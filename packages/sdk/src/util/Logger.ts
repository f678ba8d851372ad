/**
 * Console logging with v4's levels (`TRTC.Logger.setLogLevel(TRTC.Logger.LogLevel.DEBUG)`).
 * One process-wide level; every line starts with `[Parley]` and the module's tag.
 */

export const LogLevel = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
  NONE: 5,
} as const;

export type LogLevelValue = (typeof LogLevel)[keyof typeof LogLevel];

let currentLevel: LogLevelValue = LogLevel.INFO;

export interface TaggedLogger {
  trace(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

function write(level: LogLevelValue, tag: string, message: string, details: unknown[]): void {
  if (level < currentLevel || typeof console === 'undefined') return;
  const line = `[Parley] ${tag}: ${message}`;
  switch (level) {
    case LogLevel.TRACE:
    case LogLevel.DEBUG:
      console.debug(line, ...details);
      break;
    case LogLevel.INFO:
      console.info(line, ...details);
      break;
    case LogLevel.WARN:
      console.warn(line, ...details);
      break;
    default:
      console.error(line, ...details);
  }
}

/** A logger whose lines name the module (`[Parley] client: joined room 1234`). */
export function createLogger(tag: string): TaggedLogger {
  return {
    trace: (m, ...d) => write(LogLevel.TRACE, tag, m, d),
    debug: (m, ...d) => write(LogLevel.DEBUG, tag, m, d),
    info: (m, ...d) => write(LogLevel.INFO, tag, m, d),
    warn: (m, ...d) => write(LogLevel.WARN, tag, m, d),
    error: (m, ...d) => write(LogLevel.ERROR, tag, m, d),
  };
}

/** `TRTC.Logger`, the public face. */
export const Logger = {
  LogLevel,
  /** Lines below `level` are dropped; `LogLevel.NONE` silences the SDK. */
  setLogLevel(level: LogLevelValue): void {
    if (typeof level === 'number' && level >= LogLevel.TRACE && level <= LogLevel.NONE) {
      currentLevel = Math.floor(level) as LogLevelValue;
    } else {
      write(LogLevel.WARN, 'logger', `ignoring invalid log level ${String(level)}`, []);
    }
  },
  getLogLevel(): LogLevelValue {
    return currentLevel;
  },
  /** Log upload to the Parley server is not implemented yet; accepted so v4 apps run. */
  enableUploadLog(): void {
    write(LogLevel.DEBUG, 'logger', 'log upload is not implemented yet', []);
  },
  disableUploadLog(): void {},
};
