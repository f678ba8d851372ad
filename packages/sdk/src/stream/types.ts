/** Public types of streams: creation config, play options and events. */
import type { ConnectionStateChangedEvent } from '../connectionState.js';
import type { RtcError } from '../errors/RtcError.js';
import type { AudioProfilePreset, VideoProfile, VideoProfilePreset } from '../profiles.js';

export interface StreamConfig {
  userId?: string;
  audio?: boolean;
  video?: boolean;
  /** Capture a screen, window or tab (getDisplayMedia) instead of the camera. */
  screen?: boolean;
  /** With `screen`: also capture the shared tab's or system's audio, where the browser can. */
  screenAudio?: boolean;
  cameraId?: string;
  microphoneId?: string;
  facingMode?: 'user' | 'environment';
  /** A ready-made audio track to publish instead of capturing the microphone. */
  audioSource?: MediaStreamTrack;
  /** A ready-made video track to publish instead of capturing the camera (or the screen). */
  videoSource?: MediaStreamTrack;
  /** Mirror the local preview (default true for the camera). */
  mirror?: boolean;
}

/** CSS `object-fit` of the video element. */
export type ObjectFit = 'cover' | 'contain' | 'fill' | 'none' | 'scale-down';

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
  /** A screen stream's capture ended (the user clicked the browser's "Stop sharing"). */
  'screen-sharing-stopped': undefined;
  /** E.g. PLAY_NOT_ALLOWED (once) when the browser blocks autoplay: call `resume()` on a gesture. */
  error: RtcError;
  /**
   * A published LocalStream's connection to the server (v4): CONNECTING while publishing,
   * CONNECTED, DISCONNECTED when the path breaks (and when unpublished), RECONNECTING while
   * ICE restarts or the stream is published again on a new connection.
   */
  'connection-state-changed': ConnectionStateChangedEvent;
  /**
   * A camera or microphone the browser ended (unplugged, taken by another app) was captured
   * again and is sent in its place; when that fails, `error` DEVICE_AUTO_RECOVER_FAILED.
   */
  'device-auto-recovered': DeviceAutoRecoveredEvent;
}

/** `device-auto-recovered`: which devices were recaptured. */
export interface DeviceAutoRecoveredEvent {
  isCamera: boolean;
  isMicrophone: boolean;
  cameraId: string;
  microphoneId: string;
}

/** `setVideoContentHint()`: what the video shows, so the encoder favours fluidity or detail. */
export type VideoContentHint = 'motion' | 'detail' | 'text';

export type { AudioProfilePreset, VideoProfile, VideoProfilePreset };
