/**
 * Argument types of the TRTC v4 methods Parley does not provide yet, so v4 application code
 * that calls them still compiles against Parley's types. The methods themselves exist and
 * refuse with NOT_SUPPORTED and a message saying so (`notSupportedYet` below), rather than
 * failing with a TypeError; docs/api-compatibility.md lists them as "not yet".
 */
import { RtcError } from './errors/RtcError.js';

/** The refusal of a v4 feature Parley does not have yet. */
export function notSupportedYet(method: string, plan: string): RtcError {
  return RtcError.notSupported(
    `${method}() is not supported by Parley yet (${plan}); see docs/api-compatibility.md`,
  );
}

/** The proxies of `setProxyServer()`'s object form. */
export interface ProxyServer {
  websocketProxy: string;
  loggerProxy: string;
  scheduleProxy: string;
  unifiedProxy: string;
}

/** `startPublishCDNStream()` options (relay to a CDN). */
export interface PublishCDNStreamOptions {
  streamId?: string;
  /** Which of the caller's streams is relayed (default 'main'). */
  streamType?: 'main' | 'auxiliary';
  appId?: number;
  bizId?: number;
  url?: string;
}

/** One user in a `startMixTranscode()` layout (`roomId` and `renderMode` since 4.9). */
export interface MixUser {
  userId: string;
  roomId?: number | string;
  pureAudio: boolean;
  width?: number;
  height?: number;
  locationX?: number;
  locationY?: number;
  zOrder?: number;
  streamType?: 'main' | 'auxiliary';
  renderMode?: 0 | 1 | 2;
}

/** `startMixTranscode()` configuration. */
export interface MixTranscodeConfig {
  mode?: 'manual' | 'preset-layout';
  streamId?: string;
  videoWidth?: number;
  videoHeight?: number;
  videoBitrate?: number;
  videoFramerate?: number;
  videoGOP?: number;
  audioSampleRate?: number;
  audioBitrate?: number;
  audioChannels?: 1 | 2;
  backgroundColor?: number;
  backgroundImage?: string;
  mixUsers: MixUser[];
}

/** A user in a mixed stream (`stream-updated`'s `mixUserList`; Parley does not mix yet). */
export interface MixUserItem {
  userId: string;
  hasAudio: boolean;
  hasVideo: boolean;
  hasAuxiliary: boolean;
}

/** `callExperimentalAPI()` names. */
export type ExperimentalAPIName = 'updatePrivateMapKey';
