/**
 * The v5 `TRTC` class: the default export and the classic script's global. Its statics work
 * now (constants, device lists, isSupported, setLogLevel); the instance API (TRTCMethods)
 * comes with the facade over the SDK engine, which replaces `createInstance` below. Until
 * then `TRTC.create()` throws an RtcError saying so.
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

function notBuilt(fnName: string): never {
  throw new RtcError({
    code: ERROR_CODE.ENV_NOT_SUPPORTED,
    fnName,
    message: `TRTC.${fnName}(): the v5 client is not built into this Parley SDK yet (only the TRTC statics, constants and device lists are); use the v4 API at /sdk/trtc.js meanwhile`,
  });
}

/** Builds an instance; the facade provides the real one. */
function createInstance(_options: TRTCOptions): TRTC {
  return notBuilt('create');
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

  /** `TRTC.create()` is the way in (trtc-sdk-v5 declares no constructor; `new` refuses the same). */
  constructor() {
    notBuilt('constructor');
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
