/**
 * The `TRTC` namespace object: `window.TRTC` of the classic script and the default export
 * of the ESM build, with v4's factory functions.
 */
import { Client } from './client/Client.js';
import type { ClientConfig } from './client/types.js';
import { ErrorCode, RtcError } from './errors/RtcError.js';
import { LocalStream } from './stream/LocalStream.js';
import type { StreamConfig } from './stream/types.js';
import {
  checkSystemRequirements,
  getCameras,
  getDevices,
  getMicrophones,
  getSpeakers,
  isScreenShareSupported,
  isSmallStreamSupported,
} from './system.js';
import { Logger } from './util/Logger.js';
import { currentScriptSrc, signalUrlFromScriptSrc } from './util/serverUrl.js';
import { VERSION } from './version.js';

/**
 * Read while the bundle is being evaluated: `document.currentScript` is only set then.
 * Loaded as `<script src="https://host:port/sdk/trtc.js">`, this is `wss://host:port/signal`.
 */
const scriptSignalUrl = signalUrlFromScriptSrc(currentScriptSrc());

/** A Client for one user; `join()` it to a room. */
export function createClient(config: ClientConfig): Client {
  return new Client(
    config,
    scriptSignalUrl === undefined ? {} : { defaultSignalUrl: scriptSignalUrl },
  );
}

/** A LocalStream to capture with `initialize()` and publish. */
export function createStream(config: StreamConfig): LocalStream {
  return new LocalStream(config);
}

const TRTC = {
  VERSION,
  createClient,
  createStream,
  checkSystemRequirements,
  isScreenShareSupported,
  isSmallStreamSupported,
  getDevices,
  getCameras,
  getMicrophones,
  getSpeakers,
  Logger,
  /** Parley extra: the error class and codes, for `instanceof` and `getCode()` checks. */
  RtcError,
  ErrorCode,
};

export type TRTCNamespace = typeof TRTC;

export default TRTC;
