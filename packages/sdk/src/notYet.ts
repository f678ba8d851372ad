/**
 * TRTC v4 methods Parley does not provide yet, declared (types only) so that v4 application
 * code that calls them still compiles against Parley's types, with the types of their
 * arguments. They have no implementation: calling one throws a TypeError (`... is not a
 * function`), and `typeof client.startMixTranscode === 'function'` is false, so apps can
 * feature-detect them. docs/api-compatibility.md lists them as "not yet".
 *
 * When one of them is implemented, delete its declaration here (the class's own signature
 * takes over): e2e/types/types.test.ts fails while a method declared here exists at run time.
 */
import type { RemoteStream } from './stream/RemoteStream.js';

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

/** `setSmallStreamProfile()`: the low-resolution simulcast layer. */
export interface SmallStreamProfile {
  width: number;
  height: number;
  bitrate: number;
  frameRate: number;
}

/** `callExperimentalAPI()` names. */
export type ExperimentalAPIName = 'updatePrivateMapKey';

declare module './client/Client.js' {
  interface Client {
    /** Not in Parley yet (proxies): point `serverUrl` at your proxy instead. */
    setProxyServer(proxyServer: string | ProxyServer): void;
    /** Not in Parley yet (CDN relay: a later issue). */
    startPublishCDNStream(options?: PublishCDNStreamOptions): Promise<void>;
    /** Not in Parley yet (CDN relay: a later issue). */
    stopPublishCDNStream(): Promise<void>;
    /** Not in Parley yet (mixing: a later issue). */
    startMixTranscode(config: MixTranscodeConfig): Promise<void>;
    /** Not in Parley yet (mixing: a later issue). */
    stopMixTranscode(): Promise<void>;
    /** Not in Parley yet (dual stream: the media-quality issue). */
    enableSmallStream(): Promise<void>;
    /** Not in Parley yet (dual stream: the media-quality issue). */
    disableSmallStream(): Promise<void>;
    /** Not in Parley yet (dual stream: the media-quality issue). */
    setSmallStreamProfile(options: SmallStreamProfile): void;
    /** Not in Parley yet (dual stream: the media-quality issue). */
    setRemoteVideoStreamType(remoteStream: RemoteStream, status: 'big' | 'small'): Promise<void>;
    /** Not in Parley yet. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as v4 declares it
    callExperimentalAPI(name: ExperimentalAPIName, options: object): Promise<any>;
    /** Not in Parley yet (`@types/trtc-js-sdk` 4.8; later v4 has `autoSubscribe`). */
    setDefaultMuteRemoteStreams(muted: boolean): void;
  }
}

declare module './stream/LocalStream.js' {
  interface LocalStream {
    /** Not in Parley yet. (The wrapper types are v4's.) */
    // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types
    setAudioCaptureVolume(volume: number | Number): boolean;
  }
}
