/**
 * Device auto-recovery (v4 `device-auto-recovered`, v5's recapture): a camera or microphone
 * track the browser ended (unplugged, taken by the system, its permission revoked) is opened
 * again, from the same device while it is still there, else from the default one. A track
 * the app stops itself fires no `ended` (the DOM's rule) and is left alone, as v4 and v5 do.
 */
import type { TrackKind } from '@parley/protocol';
import { createLogger } from '../util/Logger.js';
import { captureDevices, type DeviceChoice } from './capture.js';

const log = createLogger('recapture');

/** Tries and the pause between them (v4 retries for ~30 s; a user is told sooner here). */
const ATTEMPTS = 3;
const RETRY_DELAY_MS = 1000;

export interface RecaptureRequest {
  kind: TrackKind;
  /** The device the ended track came from, if known. */
  deviceId: string | undefined;
  /** The getUserMedia constraints for `device` (the stream's profile). */
  constraints(device: DeviceChoice): MediaTrackConstraints;
  /** True once the new track is not wanted any more (stream closed, track replaced). */
  cancelled(): boolean;
}

/** The device id a track was opened from (settings, then the id asked for). */
export function deviceIdOf(track: MediaStreamTrack, fallback?: string): string | undefined {
  const id = typeof track.getSettings === 'function' ? track.getSettings().deviceId : undefined;
  return id || fallback || undefined;
}

/**
 * Opens the device again; null when cancelled meanwhile (nothing left open). Rejects with
 * the last capture error after every attempt failed.
 */
export async function recaptureDevice(request: RecaptureRequest): Promise<MediaStreamTrack | null> {
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (request.cancelled()) return null;
    try {
      const deviceId = await stillPresent(request.kind, request.deviceId);
      const constraints = request.constraints(deviceId ? { deviceId } : {});
      const stream = await captureDevices(
        request.kind === 'audio' ? { audio: constraints } : { video: constraints },
      );
      const track = stream.getTracks()[0];
      for (const other of stream.getTracks()) if (other !== track) other.stop();
      if (!track || track.readyState === 'ended') throw new Error('the device gave no live track');
      if (request.cancelled()) {
        track.stop();
        return null;
      }
      log.info(`${request.kind} device recaptured (attempt ${attempt})`);
      return track;
    } catch (error) {
      lastError = error;
      log.warn(`recapturing the ${request.kind} device failed (attempt ${attempt})`, error);
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** `deviceId` when the browser still lists it, else undefined (the default device). */
async function stillPresent(
  kind: TrackKind,
  deviceId: string | undefined,
): Promise<string | undefined> {
  if (!deviceId) return undefined;
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const wanted: MediaDeviceKind = kind === 'audio' ? 'audioinput' : 'videoinput';
    return devices.some((d) => d.kind === wanted && d.deviceId === deviceId) ? deviceId : undefined;
  } catch {
    return deviceId;
  }
}
