/**
 * Device capture for LocalStream: the getUserMedia/getDisplayMedia constraints a profile and
 * the stream config ask for, and the browser's failures turned into the RtcErrors v4 apps
 * expect (the DOMException's name kept as the error's `name`).
 */
import type { TrackKind } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { RtcError, describe } from '../errors/RtcError.js';
import type { AudioProfile, VideoProfile } from '../profiles.js';

/** Which camera or microphone to open. */
export interface DeviceChoice {
  deviceId?: string;
  facingMode?: 'user' | 'environment';
}

export function isTrack(value: unknown, kind?: TrackKind): value is MediaStreamTrack {
  return (
    typeof MediaStreamTrack !== 'undefined' &&
    value instanceof MediaStreamTrack &&
    (kind === undefined || value.kind === kind)
  );
}

export function videoConstraints(
  profile: VideoProfile,
  device: DeviceChoice = {},
): MediaTrackConstraints {
  return {
    width: { ideal: profile.width },
    height: { ideal: profile.height },
    frameRate: { ideal: profile.frameRate },
    ...(device.deviceId ? { deviceId: { exact: device.deviceId } } : {}),
    ...(device.facingMode && !device.deviceId ? { facingMode: device.facingMode } : {}),
  };
}

export function audioConstraints(
  profile: AudioProfile,
  device: DeviceChoice = {},
): MediaTrackConstraints {
  return {
    sampleRate: profile.sampleRate,
    channelCount: profile.channelCount,
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
    ...(device.deviceId ? { deviceId: { exact: device.deviceId } } : {}),
  };
}

function mediaDevices(what: 'getUserMedia' | 'getDisplayMedia'): MediaDevices {
  const devices = typeof navigator === 'undefined' ? undefined : navigator.mediaDevices;
  if (!devices || typeof devices[what] !== 'function') {
    throw RtcError.notSupported(
      what === 'getUserMedia'
        ? 'navigator.mediaDevices.getUserMedia is unavailable (the page must be served over https or from localhost)'
        : 'screen capture (navigator.mediaDevices.getDisplayMedia) is unavailable in this browser or page',
    );
  }
  return devices;
}

/** Opens the camera and/or microphone. */
export async function captureDevices(constraints: MediaStreamConstraints): Promise<MediaStream> {
  const devices = mediaDevices('getUserMedia');
  try {
    return await devices.getUserMedia(constraints);
  } catch (error) {
    throw captureError(error, 'getUserMedia');
  }
}

/** Asks the user for a screen, window or tab (with its audio when `audio`). */
export async function captureScreen(profile: VideoProfile, audio: boolean): Promise<MediaStream> {
  const devices = mediaDevices('getDisplayMedia');
  try {
    return await devices.getDisplayMedia({
      video: {
        width: { ideal: profile.width },
        height: { ideal: profile.height },
        frameRate: { ideal: profile.frameRate },
      },
      audio,
    });
  } catch (error) {
    throw captureError(error, 'getDisplayMedia');
  }
}

/** The browser's DOMException as v4 reports it: the browser's name, a code, a reason. */
export function captureError(error: unknown, call: 'getUserMedia' | 'getDisplayMedia'): RtcError {
  const name = error instanceof Error ? error.name : 'Error';
  const what = call === 'getUserMedia' ? 'camera/microphone' : 'screen';
  const hints: Record<string, string> = {
    NotAllowedError: `the user or the browser denied ${what} access`,
    NotFoundError: `no ${what} source matching the request was found`,
    NotReadableError: `the ${what} source is in use by another application or could not be started`,
    OverconstrainedError: 'no device satisfies the constraints (check cameraId/microphoneId)',
    AbortError: 'capture was aborted',
    SecurityError: 'capture is disabled for this page',
  };
  const notFound = name === 'NotFoundError' || name === 'OverconstrainedError';
  return new RtcError({
    code: notFound ? ErrorCode.DEVICE_NOT_FOUND : ErrorCode.INITIALIZE_FAILED,
    name,
    message: `${call} failed: ${hints[name] ?? describe(error)}`,
    cause: error,
  });
}
