/**
 * The v5 `TRTC` object: `window.TRTC` of `/sdk/trtc-v5.js` and the default export of
 * `/sdk/trtc-v5.esm.js`: `TRTC.create()` and v5's statics and constant tables.
 */
import {
  checkSystemRequirements,
  getCameras,
  getMicrophones,
  getSpeakers,
  isScreenShareSupported,
  isSmallStreamSupported,
} from '../system.js';
import { Logger } from '../util/Logger.js';
import { currentScriptSrc, signalUrlFromScriptSrc } from '../util/serverUrl.js';
import { VERSION } from '../version.js';
import { TRTCEvent, TRTCType } from './constants.js';
import { ERROR_CODE, RtcError } from './errors.js';
import type { V5CreateOptions } from './facadeTypes.js';
import { Trtc } from './Trtc.js';

/** Read while the bundle is evaluated (`document.currentScript` is only set then). */
const scriptSignalUrl = signalUrlFromScriptSrc(currentScriptSrc());

/** getUserMedia once so the lists carry labels and ids (v5's requestPermission). */
async function withPermission<T>(
  request: boolean,
  kind: 'audio' | 'video',
  list: () => Promise<T>,
): Promise<T> {
  if (request && typeof navigator !== 'undefined' && navigator.mediaDevices) {
    await navigator.mediaDevices
      .getUserMedia({ [kind]: true })
      .then((s) => s.getTracks().forEach((t) => t.stop()))
      .catch(() => undefined);
  }
  return list();
}

const TRTC = {
  VERSION,
  EVENT: TRTCEvent,
  TYPE: TRTCType,
  ERROR_CODE,
  RtcError,
  create(options?: V5CreateOptions): Trtc {
    return Trtc.create(
      options,
      scriptSignalUrl === undefined ? {} : { defaultSignalUrl: scriptSignalUrl },
    );
  },
  async isSupported(): Promise<{ result: boolean; detail: Record<string, boolean> }> {
    const { result, detail } = await checkSystemRequirements();
    return {
      result,
      detail: {
        ...(detail as unknown as Record<string, boolean>),
        isScreenShareSupported: isScreenShareSupported(),
        isSmallStreamSupported: isSmallStreamSupported(),
      },
    };
  },
  getCameraList: (requestPermission = true): Promise<MediaDeviceInfo[]> =>
    withPermission(requestPermission, 'video', getCameras),
  getMicrophoneList: (requestPermission = true): Promise<MediaDeviceInfo[]> =>
    withPermission(requestPermission, 'audio', getMicrophones),
  getSpeakerList: (requestPermission = true): Promise<MediaDeviceInfo[]> =>
    withPermission(requestPermission, 'audio', getSpeakers),
  /** Not in Parley yet (remote audio plays on the default output): rejects ENV_NOT_SUPPORTED. */
  async setCurrentSpeaker(_speakerId: string): Promise<void> {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      functionName: 'setCurrentSpeaker',
      message: 'setCurrentSpeaker(): choosing the speaker is not in Parley yet',
    });
  },
  /** Camera and microphone permission states (the Permissions API), asking first if `request`. */
  async getPermissions(
    option: { request?: boolean; types?: Array<'camera' | 'microphone'> } = {},
  ): Promise<Record<string, PermissionState | 'unknown'>> {
    const types = option.types ?? ['camera', 'microphone'];
    if (option.request && typeof navigator !== 'undefined' && navigator.mediaDevices) {
      await navigator.mediaDevices
        .getUserMedia({ audio: types.includes('microphone'), video: types.includes('camera') })
        .then((s) => s.getTracks().forEach((t) => t.stop()))
        .catch(() => undefined);
    }
    const result: Record<string, PermissionState | 'unknown'> = {};
    for (const type of types) {
      result[type] = await navigator.permissions
        .query({ name: type as PermissionName })
        .then((s) => s.state)
        .catch(() => 'unknown' as const);
    }
    return result;
  },
  /** 0 TRACE … 5 NONE, as v5 numbers them (and as Parley's logger does). */
  setLogLevel(level: number, enableUploadLog = true): void {
    Logger.setLogLevel(level as Parameters<typeof Logger.setLogLevel>[0]);
    if (enableUploadLog) Logger.enableUploadLog();
    else Logger.disableUploadLog();
  },
};

export default TRTC;
