/**
 * The option types of v5's plugins (`trtc.startPlugin(name, options)`), field for field as
 * `trtc-sdk-v5` 5.17.1 and its `plugins/*` declare them, so that v5 code passing them
 * compiles. Which plugins Parley runs and which it refuses is the facade's business.
 */
import type { TRTCStreamType } from './enums.js';
import type { screenProfileMap, videoProfileMap } from './constants.js';
import type { DenoiserMode } from './enums.js';

export interface VideoProfile {
  width: number;
  height: number;
  frameRate: number;
  /** kbps. */
  bitrate: number;
}

export interface AudioProfile {
  sampleRate: number;
  channelCount: number;
  /** kbps. */
  bitrate: number;
}

// ---- built in ---------------------------------------------------------------------------------

export interface AudioMixerOptions {
  id: string;
  url: string;
  loop?: boolean;
  volume?: number;
}

export interface UpdateAudioMixerOptions {
  id: string;
  loop?: boolean;
  volume?: number;
  seekFrom?: number;
  operation?: 'pause' | 'resume' | 'stop';
}

export interface StopAudioMixerOptions {
  id: string;
}

export interface AIDenoiserOptions {
  assetsPath?: string;
  sdkAppId: number;
  userId: string;
  userSig: string;
  mode?: DenoiserMode;
}

export interface UpdateDenoiserOptions {
  mode: DenoiserMode;
}

/** An audio source the AudioProcessor plugin cancels as echo (theirs says MediaStreamAudioTrack, a type TypeScript's DOM library lacks). */
export type AudioSource = HTMLAudioElement | MediaStreamTrack | AudioNode;

export interface InitAudioProcessorOptions {
  assetsPath?: string;
  sdkAppId: number;
  userId: string;
  userSig: string;
  audioReference?: AudioSource[];
}

export interface UpdateAudioProcessorOptions {
  audioReference?: AudioSource[];
}

export interface UpdateDebugOptions {
  visible: boolean;
}

// ---- CDNStreaming -----------------------------------------------------------------------------

export const enum PublishMode {
  PublishMainStreamToCDN = 'PublishMainStreamToCDN',
  PublishSubStreamToCDN = 'PublishSubStreamToCDN',
  PublishMixStreamToCDN = 'PublishMixStreamToCDN',
}

export interface CDNStreamingTarget {
  publishMode: PublishMode;
  streamId?: string;
  appId?: number;
  bizId?: number;
  url?: string;
}

export interface CDNStreamingEncoding {
  videoWidth?: number;
  videoHeight?: number;
  videoBitrate?: number;
  videoFramerate?: number;
  videoGOP?: number;
  audioSampleRate?: number;
  audioBitrate?: number;
  audioChannels?: 1 | 2;
}

export interface CDNStreamingUser {
  userId: string;
  roomId?: number;
  strRoomId?: string;
}

export interface CDNStreamingVideoLayout {
  fixedVideoUser: CDNStreamingUser;
  fixedVideoStreamType?: TRTCStreamType;
  fillMode?: 0 | 1 | 2;
  width?: number;
  height?: number;
  locationX?: number;
  locationY?: number;
  zOrder?: number;
}

export interface CDNStreamingMix {
  backgroundColor?: number;
  backgroundImage?: string;
  audioMixUserList?: CDNStreamingUser[];
  videoLayoutList?: CDNStreamingVideoLayout[];
}

export interface CDNStreamingOptions {
  target: CDNStreamingTarget;
  encoding?: CDNStreamingEncoding;
  mix?: CDNStreamingMix;
}

// ---- DeviceDetector ---------------------------------------------------------------------------

export interface DeviceDetectorOptions {
  networkDetect?: {
    sdkAppId: number;
    roomId?: number;
    userId: string;
    userSig: string;
    downlinkUserId?: string;
    downlinkUserSig?: string;
  };
  cameraDetect?: {
    mirror?: boolean;
  };
  allowSkip?: boolean;
  language?: 'auto' | 'zh' | 'en';
}

export interface DeviceDetectorResult {
  camera: { isSuccess: boolean; device: MediaDeviceInfo };
  microphone: { isSuccess: boolean; device: MediaDeviceInfo };
  speaker: { isSuccess: boolean; device: MediaDeviceInfo };
  network: { isSuccess: boolean; result: { quality: number; rtt: number } };
}

// ---- video effects ----------------------------------------------------------------------------

export interface WatermarkOptions {
  imageUrl: string;
  x: number;
  y: number;
  size?: { width?: number; height?: number } | number | 'contain' | 'cover';
}

export interface VirtualBackgroundOptions {
  sdkAppId: number;
  userId: string;
  userSig: string;
  type?: 'image' | 'blur' | 'color';
  blurLevel?: number;
  src?: string;
  onAbort?: (error: unknown) => void;
  enableFaceCentering?: boolean;
  enableEffectOptimization?: boolean;
  color?: string | [number, number, number];
}

export interface UpdateVirtualBackgroundOptions {
  type: 'image' | 'blur' | 'color';
  src?: string;
  blurLevel?: number;
  enableFaceCentering?: boolean;
  enableEffectOptimization?: boolean;
  color?: string | [number, number, number];
}

export interface BeautyEffect {
  id: string;
  intensity?: number;
  filterIntensity?: number;
}

export interface UpdateBeautyOptions {
  whiten?: number;
  dermabrasion?: number;
  lift?: number;
  shave?: number;
  eye?: number;
  chin?: number;
  effect?: BeautyEffect[];
}

export interface BeautyOptions extends UpdateBeautyOptions {
  sdkAppId: number;
  userId: string;
  userSig: string;
  // Theirs declares `() => {}` (a function returning an empty object); any callback fits.
  onError?: () => unknown;
}

export interface BasicBeautyOptions {
  beauty?: number;
  brightness?: number;
  ruddy?: number;
}

export interface VideoMixerLayer {
  x: number;
  y: number;
  width: number;
  height: number;
  zIndex: number;
  fillMode?: 'contain' | 'cover' | 'fill';
  mirror?: boolean;
  rotation?: 0 | 90 | 180 | 270;
  hidden?: boolean;
}

export interface VideoMixerOptions {
  view?: string | HTMLElement | null;
  canvasInfo: {
    canvasColor?: string | CanvasGradient | CanvasPattern;
    width: number;
    height: number;
    frameRate?: number;
  };
  camera?: {
    id: string;
    cameraId?: string;
    videoTrack?: MediaStreamTrack;
    profile?: keyof typeof videoProfileMap | VideoProfile;
    layout: VideoMixerLayer;
    useInternalTrack?: boolean;
  }[];
  screen?: {
    id: string;
    profile?: keyof typeof screenProfileMap | VideoProfile;
    captureElement?: HTMLElement;
    preferDisplaySurface?: 'current-tab' | 'tab' | 'window' | 'monitor';
    layout: VideoMixerLayer;
    systemAudio?: boolean;
    videoTrack?: MediaStreamTrack;
    audioTrack?: MediaStreamTrack;
    useInternalTrack?: boolean;
  }[];
  text?: {
    id: string;
    content: string;
    font?: string;
    color?: string | CanvasGradient | CanvasPattern;
    layout: VideoMixerLayer;
  }[];
  image?: { id: string; url: string; layout: VideoMixerLayer }[];
  video?: { id: string; url: string; layout: VideoMixerLayer }[];
  onScreenShareStop?: (id: string) => void;
}

export type UpdateVideoMixerOptions = Partial<Omit<VideoMixerOptions, 'onScreenShareStop'>>;

// ---- others -----------------------------------------------------------------------------------

export interface StartCrossRoomOption {
  roomId?: number;
  strRoomId?: string;
  userId?: string;
}

export interface UpdateCrossRoomOption {
  updateList: (StartCrossRoomOption & {
    muteAudio: boolean;
    muteVideo: boolean;
    muteSubStream: boolean;
  })[];
}

export interface StopCrossRoomOption {
  roomId?: number;
  strRoomId?: string;
}

export interface SmallStreamAutoSwitcherOptions {
  rttPoorLimit?: number;
  lossPoorLimit?: number;
  poorDuration?: number;
  rttGoodLimit?: number;
  lossGoodLimit?: number;
  goodDuration?: number;
  sleepTime?: number;
  maxAutoSwitchToSmallCount?: number;
}

export interface EncryptionOptions {
  customCryptors?: {
    encryptor: (data: Uint8Array) => Uint8Array;
    decryptor: (data: Uint8Array) => Uint8Array;
  };
  builtinOptions?: {
    algorithm: 'AES-GCM' | 'AES-128-GCM' | 'AES-256-GCM' | 'SM4';
    secretKey: Uint8Array;
    salt?: Uint8Array;
  };
  mode: 'webrtc' | 'udt3';
  audio: boolean;
  video: boolean;
}

export interface StartChorusOption {
  useOriginalSong?: boolean;
}

export interface UpdateChorusOption {
  useOriginalSong?: boolean;
  bgmAction?: 'pause' | 'resume';
}

export interface StartLEBPlayerOption {
  view: string | HTMLElement;
  url: string;
  licenseConfig?: { secretKey: string; encrypted: string; signature: string };
  muted?: boolean;
  volume?: number;
  fillMode?: 'contain' | 'cover' | 'fill';
  loggerConfig: { sdkAppId: number; userId: string };
  /** Player callbacks (onPlayStateChanged, onError, onStats, ...). */
  callback?: Record<string, ((event: never) => void) | undefined>;
}

export interface UpdateLEBPlayerOption {
  view?: string | HTMLElement;
  volume?: number;
  muted?: boolean;
  fillMode?: 'contain' | 'cover' | 'fill';
  action?: 'pause' | 'resume';
  fullScreen?: boolean;
  pictureInPicture?: boolean;
}

export interface StartRealtimeTranscriberOption {
  sourceLanguage: string;
  translationLanguages?: string | string[];
  userIdsToTranscribe?: string | string[];
  transcriberRobotId?: string;
}

export interface StopRealtimeTranscriberOption {
  transcriberRobotId: string;
}

// ---- the maps startPlugin/updatePlugin/stopPlugin are typed by ---------------------------------

export interface PluginStartOptionsMap {
  AudioMixer: AudioMixerOptions;
  AIDenoiser: AIDenoiserOptions;
  CDNStreaming: CDNStreamingOptions;
  VirtualBackground: VirtualBackgroundOptions;
  Watermark: WatermarkOptions;
  VideoMixer: VideoMixerOptions;
  Beauty: BeautyOptions;
  BasicBeauty: BasicBeautyOptions;
  DeviceDetector: DeviceDetectorOptions;
  Debug: undefined;
  CrossRoom: StartCrossRoomOption;
  CustomEncryption: EncryptionOptions;
  SmallStreamAutoSwitcher: SmallStreamAutoSwitcherOptions;
  AudioProcessor: InitAudioProcessorOptions;
  Chorus: StartChorusOption;
  LEBPlayer: StartLEBPlayerOption;
  RealtimeTranscriber: StartRealtimeTranscriberOption;
}

export interface PluginUpdateOptionsMap {
  AudioMixer: UpdateAudioMixerOptions;
  AIDenoiser: UpdateDenoiserOptions;
  CDNStreaming: CDNStreamingOptions;
  VirtualBackground: UpdateVirtualBackgroundOptions;
  Watermark: WatermarkOptions;
  VideoMixer: UpdateVideoMixerOptions;
  Beauty: UpdateBeautyOptions;
  BasicBeauty: BasicBeautyOptions;
  CrossRoom: UpdateCrossRoomOption;
  AudioProcessor: UpdateAudioProcessorOptions;
  Debug: UpdateDebugOptions;
  Chorus: UpdateChorusOption;
  LEBPlayer: UpdateLEBPlayerOption;
}

export interface PluginStopOptionsMap {
  AudioMixer: StopAudioMixerOptions;
  AIDenoiser: undefined;
  CDNStreaming: CDNStreamingOptions;
  VirtualBackground: undefined;
  Watermark: undefined;
  VideoMixer: undefined;
  Beauty: undefined;
  BasicBeauty: undefined;
  DeviceDetector: undefined;
  Debug: undefined;
  CrossRoom: StopCrossRoomOption | undefined;
  SmallStreamAutoSwitcher: undefined;
  AudioProcessor: undefined;
  CustomEncryption: undefined;
  Chorus: undefined;
  LEBPlayer: undefined;
  RealtimeTranscriber: StopRealtimeTranscriberOption;
}

export type PluginName = keyof PluginStartOptionsMap;

/**
 * A plugin class passed to `TRTC.create({ plugins })` or `trtc.use()`: Tencent's plugin
 * packages export classes with `start`/`update`/`stop` (Parley's own plugins are built in, so
 * an imported one is only named by it).
 */
export type TRTCPlugin = abstract new (...args: never[]) => {
  // Rest parameters of `never`: any parameter list fits (stop(options) and stop() both).
  start(...args: never[]): Promise<unknown>;
  stop(...args: never[]): Promise<unknown> | void;
};

export interface PluginWithAssets {
  plugin: TRTCPlugin;
  assetsPath?: string;
}
