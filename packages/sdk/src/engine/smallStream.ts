/**
 * Dual stream (v4's big + small stream) as simulcast: with the small stream on, the main
 * video is sent as two encodings of the same capture, the small one (rid `s`) first and the
 * big one (rid `b`) last, as the server orders simulcast layers smallest first. Subscribers
 * get one of them (`setRemoteVideoStreamType`, or the server's own choice when their
 * downlink cannot carry the big one).
 */
import { RtcError } from '../errors/RtcError.js';
import type { VideoProfile } from '../profiles.js';
import type { SmallEncoding } from '../transport/simulcast.js';

export { BIG_RID, SMALL_RID, type SmallEncoding } from '../transport/simulcast.js';

/** `setSmallStreamProfile()`: the low-resolution simulcast layer (bitrate in kbps). */
export interface SmallStreamProfile {
  width: number;
  height: number;
  bitrate: number;
  frameRate: number;
}

/** v4's default small stream. */
export const DEFAULT_SMALL_STREAM_PROFILE: SmallStreamProfile = {
  width: 160,
  height: 120,
  bitrate: 100,
  frameRate: 15,
};

const LIMITS = {
  width: [16, 1920],
  height: [16, 1080],
  bitrate: [10, 2000],
  frameRate: [1, 60],
} as const;

/** Validates a `setSmallStreamProfile()` argument; INVALID_PARAMETER names the bad field. */
export function checkSmallStreamProfile(value: unknown): SmallStreamProfile {
  if (typeof value !== 'object' || value === null) {
    throw RtcError.invalidParameter(
      'setSmallStreamProfile() needs {width, height, bitrate, frameRate}',
    );
  }
  const input = value as Record<string, unknown>;
  const read = (field: keyof SmallStreamProfile): number => {
    // v4's guide writes frameRate; accept the lower-case spelling some apps use.
    const raw = field === 'frameRate' ? (input.frameRate ?? input.framerate) : input[field];
    const [min, max] = LIMITS[field];
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max) {
      throw RtcError.invalidParameter(
        `setSmallStreamProfile(): ${field} must be a number from ${min} to ${max}, got ${String(raw)}`,
      );
    }
    return raw;
  };
  return {
    width: read('width'),
    height: read('height'),
    bitrate: read('bitrate'),
    frameRate: read('frameRate'),
  };
}

/**
 * The small encoding of a big stream sent at `big`: scaled down so that it fits the small
 * profile's box (the browser keeps the aspect ratio), never above the big one's rate.
 */
export function smallEncoding(big: VideoProfile, small: SmallStreamProfile): SmallEncoding {
  const scale = Math.max(1, big.width / small.width, big.height / small.height);
  return {
    scaleResolutionDownBy: Math.round(scale * 100) / 100,
    maxBitrate: Math.min(small.bitrate, big.bitrate) * 1000,
    maxFramerate: Math.min(small.frameRate, big.frameRate),
  };
}

/** The client's dual-stream choice, kept across joins like v4's. */
export class SmallStreamSettings {
  enabled = false;
  profile: SmallStreamProfile = { ...DEFAULT_SMALL_STREAM_PROFILE };

  /** The profile while enabled, else null (what a new publication uses). */
  active(): SmallStreamProfile | null {
    return this.enabled ? this.profile : null;
  }
}
