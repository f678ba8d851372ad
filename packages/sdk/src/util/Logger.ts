/**
 * Console logging with v4's levels (`TRTC.Logger.setLogLevel(TRTC.Logger.LogLevel.DEBUG)`).
 * One process-wide level; every line starts with `[Parley]` and the module's tag. With
 * `TRTC.Logger.enableUploadLog()` the INFO and higher lines also go to the Parley server,
 * whatever the console level (an app that silences the console still gets its logs there).
 */
import type { LogLevelName } from '@parley/protocol';
import { LogUploader, type LogDestination } from './LogUploader.js';

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

/** Lines below this level are not uploaded (DEBUG would be a flood of ICE chatter). */
const UPLOAD_MIN_LEVEL: LogLevelValue = LogLevel.INFO;

const LEVEL_NAMES: Record<Exclude<LogLevelValue, 5>, LogLevelName> = {
  0: 'trace',
  1: 'debug',
  2: 'info',
  3: 'warn',
  4: 'error',
};

const uploader = new LogUploader();

export interface TaggedLogger {
  trace(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** A detail as text for upload: errors by name and message, objects as (short) JSON. */
function detailText(detail: unknown): string {
  if (detail instanceof Error) return `${detail.name}: ${detail.message}`;
  if (typeof detail === 'string') return detail;
  try {
    return JSON.stringify(detail)?.slice(0, 500) ?? String(detail);
  } catch {
    return String(detail);
  }
}

function write(level: LogLevelValue, tag: string, message: string, details: unknown[]): void {
  if (level >= UPLOAD_MIN_LEVEL && level < LogLevel.NONE && uploader.isEnabled) {
    const text = details.length ? `${message} ${details.map(detailText).join(' ')}` : message;
    uploader.add({
      time: Date.now(),
      level: LEVEL_NAMES[level as Exclude<LogLevelValue, 5>],
      tag,
      message: text,
    });
  }
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

/**
 * @internal For the Client: where uploaded lines go (its session's server and log token),
 * and sending what is buffered now (at leave, before the page may go away).
 */
export const logUpload = {
  setDestination(destination: LogDestination | null): void {
    uploader.setDestination(destination);
  },
  flush(keepalive = false): Promise<void> {
    return uploader.flush({ keepalive });
  },
};

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
  /**
   * Uploads the SDK's INFO+ log lines to the Parley server (`POST /v1/logs`), stored per
   * sdkAppId, room and user. Off by default. Lines logged before join wait for it.
   */
  enableUploadLog(): void {
    uploader.enable();
  },
  /** Stops the upload and discards the lines not sent yet. */
  disableUploadLog(): void {
    uploader.disable();
  },
};
