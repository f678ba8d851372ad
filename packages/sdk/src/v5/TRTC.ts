/**
 * The v5 `TRTC` class: the default export and the classic script's global: its statics
 * (constants, device lists, isSupported, setLogLevel) and `create()`, which returns the
 * facade over the SDK engine (TrtcInstance.ts) with v5's instance API (TRTCMethods).
 */
import { Logger, type LogLevelValue } from '../util/Logger.js';
import { TRTCEvent, TRTCType } from './constants.js';
import type { LOG_LEVEL } from './enums.js';
import { ERROR_CODE, RtcError } from './errors.js';
import {
  getCameraList,
  getMicrophoneList,
  getPermissions,
  getSpeakerList,
  isSupported,
  setCurrentSpeaker,
} from './system.js';
import type { TRTCMethods, TRTCOptions } from './types.js';
import { VERSION } from './version.js';
import { currentScriptSrc, signalUrlFromScriptSrc } from '../util/serverUrl.js';
import type { V5CreateOptions } from './facadeTypes.js';
import { TrtcInstance } from './TrtcInstance.js';

/**
 * Read while the bundle is evaluated (`document.currentScript` is only set then): loaded as
 * `<script src="https://host:port/sdk/trtc-v5.js">`, the server is `wss://host:port/signal`.
 */
const scriptSignalUrl = signalUrlFromScriptSrc(currentScriptSrc());

/** An instance of the facade over the SDK engine (TrtcInstance.ts), typed as v5's TRTC. */
function createInstance(options: TRTCOptions): TRTC {
  const instance = TrtcInstance.create(
    options as V5CreateOptions,
    scriptSignalUrl === undefined ? {} : { defaultSignalUrl: scriptSignalUrl },
  );
  // The facade implements TRTCMethods at run time; its own signatures are looser (one payload
  // per event), so the public type is v5's.
  return instance as unknown as TRTC;
}

/** The instance methods are declared by TRTCMethods (merged into the class's type). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface TRTC extends TRTCMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class TRTC {
  /** Vue's markRaw flag: Vue apps keep the instance in reactive state (trtc-v5-api.md §7). */
  readonly __v_skip = true;

  static VERSION: string = VERSION;
  static EVENT: typeof TRTCEvent = TRTCEvent;
  static TYPE: typeof TRTCType = TRTCType;
  static ERROR_CODE: typeof ERROR_CODE = ERROR_CODE;
  /** Which UI framework the app says it uses (Tencent's statistics; unused by Parley). */
  static frameWorkType = 0;

  /** `TRTC.create()` is the way in (trtc-sdk-v5 declares no constructor): `new` refuses. */
  constructor() {
    throw new RtcError({
      code: ERROR_CODE.INVALID_OPERATION,
      fnName: 'constructor',
      message: 'new TRTC(): create instances with TRTC.create()',
    });
  }

  /** A TRTC instance; one per user (it can enter rooms one after another). */
  static create(options: TRTCOptions = {}): TRTC {
    return createInstance(options);
  }

  /**
   * 0 TRACE .. 5 NONE. With `enableUploadLog` (v5's default) the INFO and higher lines go to
   * this Parley server's log store, as v4's `Logger.enableUploadLog()`.
   */
  static setLogLevel(level: LOG_LEVEL, enableUploadLog = true): void {
    Logger.setLogLevel(level as number as LogLevelValue);
    if (enableUploadLog) Logger.enableUploadLog();
    else Logger.disableUploadLog();
  }

  static isSupported = isSupported;
  static getPermissions = getPermissions;
  static getCameraList = getCameraList;
  static getMicrophoneList = getMicrophoneList;
  static getSpeakerList = getSpeakerList;
  static setCurrentSpeaker = setCurrentSpeaker;
}

export default TRTC;
