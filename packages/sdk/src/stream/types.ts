/** Public types of streams: creation config, play options and events. */
import type { RtcError } from '../errors/RtcError.js';
import type { AudioProfilePreset, VideoProfile, VideoProfilePreset } from '../profiles.js';

export interface StreamConfig {
  userId?: string;
  audio?: boolean;
  video?: boolean;
  /** Screen capture: not implemented yet (initialize() rejects NOT_SUPPORTED). */
  screen?: boolean;
  screenAudio?: boolean;
  cameraId?: string;
  microphoneId?: string;
  facingMode?: 'user' | 'environment';
  /** A ready-made audio track to publish instead of capturing the microphone. */
  audioSource?: MediaStreamTrack;
  /** A ready-made video track to publish instead of capturing the camera. */
  videoSource?: MediaStreamTrack;
  /** Mirror the local preview (default true for the camera). */
  mirror?: boolean;
}

export type ObjectFit = 'cover' | 'contain' | 'fill';

export interface PlayOptions {
  /** Default `'cover'`. */
  objectFit?: ObjectFit;
  /** Mute the remote audio element (local playback is always muted). */
  muted?: boolean;
  /** Mirror the video (default: true for a local camera stream, false otherwise). */
  mirror?: boolean;
}

export type PlayerKind = 'audio' | 'video';
export type PlayerState = 'PLAYING' | 'PAUSED' | 'STOPPED';
export type PlayerStateReason = 'playing' | 'mute' | 'unmute' | 'ended' | 'pause';

export interface PlayerStateChangedEvent {
  type: PlayerKind;
  state: PlayerState;
  reason: PlayerStateReason;
}

/** Every event a stream fires, with its payload. */
export interface StreamEvents {
  'player-state-changed': PlayerStateChangedEvent;
  /** Declared for v4 compatibility; screen sharing is not implemented yet. */
  'screen-sharing-stopped': Record<string, never>;
  /** E.g. PLAY_NOT_ALLOWED (once) when the browser blocks autoplay: call `resume()` on a gesture. */
  error: RtcError;
}

export type { AudioProfilePreset, VideoProfile, VideoProfilePreset };
