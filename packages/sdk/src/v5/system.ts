/**
 * v5's browser statics: `TRTC.isSupported()`, the device lists (which, unlike v4's, first
 * ask for the permission so that labels and ids are real), `getPermissions()` and
 * `setCurrentSpeaker()`. Built on the v4 helpers (system.ts, codecSupport.ts).
 */
import { probeVideoCodecs } from '../codecSupport.js';
import {
  checkSystemRequirements,
  getCameras,
  getMicrophones,
  getSpeakers,
  isScreenShareSupported,
  isSmallStreamSupported,
} from '../system.js';
import { deviceExtraCode, ERROR_CODE, RtcError } from './errors.js';
import type { PermissionOption, PermissionResult, SupportResult } from './types.js';

/** What this browser can do, with v5's `detail` fields. */
export async function isSupported(): Promise<SupportResult> {
  const [v4, codecs] = await Promise.all([checkSystemRequirements(), probeVideoCodecs()]);
  const detail = {
    ...v4.detail,
    isWebCodecsSupported:
      typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder === 'function' &&
      typeof (globalThis as { VideoDecoder?: unknown }).VideoDecoder === 'function',
    isScreenShareSupported: isScreenShareSupported(),
    isSmallStreamSupported: isSmallStreamSupported(),
    isH265EncodeSupported: codecs.send.has('video/h265'),
    isH265DecodeSupported: codecs.receive.has('video/h265'),
  };
  return { result: v4.result && detail.isMediaDevicesSupported, detail };
}

type DeviceKind = 'camera' | 'microphone';

/**
 * Asks for the camera or microphone and lets go at once: browsers hide device labels (and
 * give per-origin ids) until the page has been allowed a device of that kind.
 */
async function requestAccess(kinds: DeviceKind[], fnName: string): Promise<void> {
  if (typeof navigator === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      fnName,
      message: `${fnName}(): navigator.mediaDevices.getUserMedia is unavailable (the page must be served over https or from localhost)`,
    });
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: kinds.includes('microphone'),
      video: kinds.includes('camera'),
    });
    for (const track of stream.getTracks()) track.stop();
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw new RtcError({
      code: ERROR_CODE.DEVICE_ERROR,
      extraCode: deviceExtraCode(name),
      fnName,
      message: `${fnName}(): could not get the ${kinds.join(' and ')} permission: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      ...(error instanceof Error ? { originError: error } : {}),
    });
  }
}

/** Whether the list lacks what only a permission gives (labels; Firefox also hides ids). */
function needsPermission(devices: MediaDeviceInfo[]): boolean {
  return devices.length === 0 || devices.some((d) => d.label === '' || d.deviceId === '');
}

async function listWithPermission(
  list: () => Promise<MediaDeviceInfo[]>,
  kind: DeviceKind,
  requestPermission: boolean,
  fnName: string,
): Promise<MediaDeviceInfo[]> {
  try {
    const devices = await list();
    if (!requestPermission || !needsPermission(devices)) return devices;
    // No device of the kind at all: nothing to ask for (getUserMedia would fail NotFound).
    if (devices.length === 0) return devices;
    await requestAccess([kind], fnName);
    return await list();
  } catch (error) {
    throw RtcError.convertFrom(error, fnName);
  }
}

export function getCameraList(requestPermission = true): Promise<MediaDeviceInfo[]> {
  return listWithPermission(getCameras, 'camera', requestPermission, 'getCameraList');
}

export function getMicrophoneList(requestPermission = true): Promise<MediaDeviceInfo[]> {
  return listWithPermission(getMicrophones, 'microphone', requestPermission, 'getMicrophoneList');
}

/** Speakers are listed with their labels once the microphone is allowed. */
export function getSpeakerList(requestPermission = true): Promise<MediaDeviceInfo[]> {
  return listWithPermission(getSpeakers, 'microphone', requestPermission, 'getSpeakerList');
}

async function permissionState(name: DeviceKind): Promise<PermissionState | null> {
  try {
    const status = await navigator.permissions.query({ name: name as PermissionName });
    return status.state;
  } catch {
    // Firefox knows no 'camera'/'microphone' permission names.
    return null;
  }
}

/** The camera and microphone permission states, asking for them first when `request`. */
export async function getPermissions(option: PermissionOption = {}): Promise<PermissionResult> {
  const types = option.types ?? ['camera', 'microphone'];
  if (option.request ?? true) {
    await requestAccess(types, 'getPermissions').catch(() => undefined);
  }
  const [camera, microphone] = await Promise.all([
    permissionState('camera'),
    permissionState('microphone'),
  ]);
  return { camera, microphone };
}

/** The speaker every element the SDK plays on uses from now on (set by the facade). */
let currentSpeakerId: string | undefined;

export function getCurrentSpeakerId(): string | undefined {
  return currentSpeakerId;
}

/**
 * Selects the audio output for the SDK's players. Here: checks that the browser can route
 * output (setSinkId) and that the id is a listed speaker; the facade applies it to its players
 * (getCurrentSpeakerId()).
 */
export async function setCurrentSpeaker(speakerId: string): Promise<void> {
  const fnName = 'setCurrentSpeaker';
  if (typeof speakerId !== 'string' || speakerId === '') {
    throw new RtcError({
      code: ERROR_CODE.INVALID_PARAMETER,
      extraCode: 5003,
      fnName,
      message: `${fnName}(): 'speakerId' must be a non-empty device id, got ${JSON.stringify(speakerId)}`,
    });
  }
  if (typeof HTMLMediaElement === 'undefined' || !('setSinkId' in HTMLMediaElement.prototype)) {
    throw new RtcError({
      code: ERROR_CODE.ENV_NOT_SUPPORTED,
      fnName,
      message: `${fnName}(): this browser cannot choose the audio output (no HTMLMediaElement.setSinkId)`,
    });
  }
  const speakers = await getSpeakerList(false);
  if (!speakers.some((d) => d.deviceId === speakerId)) {
    throw new RtcError({
      code: ERROR_CODE.DEVICE_ERROR,
      extraCode: 5301,
      fnName,
      message: `${fnName}(): no speaker with id ${JSON.stringify(speakerId)} (TRTC.getSpeakerList() lists them)`,
    });
  }
  currentSpeakerId = speakerId;
}
