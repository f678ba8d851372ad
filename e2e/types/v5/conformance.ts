/**
 * Member-by-member conformance of Parley's v5 types (`trtc-sdk-v5`, mapped to
 * packages/sdk/dist/trtc-v5.d.ts) with the types of the `trtc-sdk-v5` 5.17.1 package
 * (`@theirs/trtc-sdk-v5`, mapped to its index.d.ts). Every name their index.d.ts exports
 * appears below as `Theirs.<Name>` (v5types.test.ts checks that none is left out), checked
 * by its role: methods call-compatible, event arguments and results usable as theirs,
 * configs and options accepted by ours, enumerations with the same values, constant tables
 * with every value of theirs.
 *
 * Both sides are compared through `Plain` (see there): an app only ever sees one of the two
 * declarations, so their `Scene.RTC` and ours must be the same value, not the same symbol.
 */
import type TheirTRTC from '@theirs/trtc-sdk-v5';
import type * as Theirs from '@theirs/trtc-sdk-v5';
import type OurTRTC from 'trtc-sdk-v5';
import type * as Ours from 'trtc-sdk-v5';
import type { AllTrue, Expect } from '../conformance-helpers.js';
import type { EventArgs, Eq, In, Members, Out, Same } from './compat.js';

/** Methods with overloads over option maps: checked through the maps below instead. */
type ByMap = 'startPlugin' | 'updatePlugin' | 'stopPlugin' | 'callExperimentalAPI' | 'on' | 'off';

// ---- the TRTC class ---------------------------------------------------------------------------

export type Instance = Expect<Members<TheirTRTC, OurTRTC, ByMap>>;
export type Statics = Expect<
  Members<typeof TheirTRTC, typeof OurTRTC, 'prototype' | 'EVENT' | 'TYPE' | 'ERROR_CODE'>
>;
export type Tables = Expect<
  AllTrue<{
    EVENT: Out<typeof TheirTRTC.EVENT, typeof OurTRTC.EVENT>;
    TYPE: Out<typeof TheirTRTC.TYPE, typeof OurTRTC.TYPE>;
    ERROR_CODE: Out<typeof TheirTRTC.ERROR_CODE, typeof OurTRTC.ERROR_CODE>;
    TRTCEvent: Out<typeof Theirs.TRTCEvent, typeof Ours.TRTCEvent>;
    TRTCType: Out<typeof Theirs.TRTCType, typeof Ours.TRTCType>;
  }>
>;
/** The named export TRTC is the default export, in theirs and in ours. */
export type NamedTRTC = Expect<
  AllTrue<{ theirs: Same<Theirs.TRTC, TheirTRTC>; ours: Same<Ours.TRTC, OurTRTC> }>
>;
/** Every event of theirs, with arguments a listener typed by theirs accepts. */
export type Events = Expect<EventArgs<Theirs.TRTCEventTypes, Ours.TRTCEventTypes>>;
export type OptionMaps = Expect<
  AllTrue<{
    PluginStartOptionsMap: In<Theirs.PluginStartOptionsMap, Ours.PluginStartOptionsMap>;
    PluginUpdateOptionsMap: In<Theirs.PluginUpdateOptionsMap, Ours.PluginUpdateOptionsMap>;
    PluginStopOptionsMap: In<Theirs.PluginStopOptionsMap, Ours.PluginStopOptionsMap>;
    ExperimentalAPIFunctionMap: In<
      Theirs.ExperimentalAPIFunctionMap,
      Ours.ExperimentalAPIFunctionMap
    >;
  }>
>;

// ---- errors -----------------------------------------------------------------------------------

export type Errors = Expect<
  AllTrue<{
    RtcError: Out<Theirs.RtcError, Ours.RtcError>;
    RtcErrorStatics: Members<typeof Theirs.RtcError, typeof Ours.RtcError, 'prototype'>;
    RTCErrorParams: In<Theirs.RTCErrorParams, Ours.RTCErrorParams>;
    RTCErrorInterface: Out<Theirs.RTCErrorInterface, Ours.RTCErrorInterface>;
  }>
>;

// ---- enumerations and constant tables ------------------------------------------------------------

export type Enums = Expect<
  AllTrue<{
    LOG_LEVEL: Eq<Theirs.LOG_LEVEL, Ours.LOG_LEVEL>;
    Scene: Eq<Theirs.Scene, Ours.Scene>;
    NetworkQualityValue: Eq<Theirs.NetworkQualityValue, Ours.NetworkQualityValue>;
    PlayerState: Eq<Theirs.PlayerState, Ours.PlayerState>;
    UserRole: Eq<Theirs.UserRole, Ours.UserRole>;
    ConnectionState: Eq<Theirs.ConnectionState, Ours.ConnectionState>;
    BannedReason: Eq<Theirs.BannedReason, Ours.BannedReason>;
    PEER_LEAVE_REASON: Eq<Theirs.PEER_LEAVE_REASON, Ours.PEER_LEAVE_REASON>;
    TRTCStreamType: Eq<Theirs.TRTCStreamType, Ours.TRTCStreamType>;
    TRTCDeviceType: Eq<Theirs.TRTCDeviceType, Ours.TRTCDeviceType>;
    TRTCDeviceAction: Eq<Theirs.TRTCDeviceAction, Ours.TRTCDeviceAction>;
    TRTCVideoType: Eq<Theirs.TRTCVideoType, Ours.TRTCVideoType>;
    DenoiserMode: Eq<Theirs.DenoiserMode, Ours.DenoiserMode>;
    AutoStartPluginName: Eq<Theirs.AutoStartPluginName, Ours.AutoStartPluginName>;
  }>
>;

/** Profile tables: every preset of theirs with the same numbers (ours adds the run time's `_2` ones). */
export type Profiles = Expect<
  AllTrue<{
    audio: Out<
      Omit<typeof Theirs.audioProfileMap, 'high'>,
      Omit<typeof Ours.audioProfileMap, 'high'>
    >;
    video: Out<typeof Theirs.videoProfileMap, typeof Ours.videoProfileMap>;
    screen: Out<typeof Theirs.screenProfileMap, typeof Ours.screenProfileMap>;
  }>
>;
/**
 * `high` audio: their d.ts says 192 kbps, their run time sends 128 (trtc-v5-api.md §1); ours
 * states the run time's number.
 */
export type HighAudio = Expect<Eq<(typeof Ours.audioProfileMap)['high']['bitrate'], 128>>;

// ---- configs and options the app passes ----------------------------------------------------------

export type Inputs = Expect<
  AllTrue<{
    TRTCOptions: In<Theirs.TRTCOptions, Ours.TRTCOptions>;
    PluginWithAssets: In<Theirs.PluginWithAssets, Ours.PluginWithAssets>;
    EnterRoomConfig: In<Theirs.EnterRoomConfig, Ours.EnterRoomConfig>;
    ProxyServer: In<Theirs.ProxyServer, Ours.ProxyServer>;
    TurnServerOptions: In<Theirs.TurnServerOptions, Ours.TurnServerOptions>;
    PlayoutDelay: In<Theirs.PlayoutDelay, Ours.PlayoutDelay>;
    QuickStartConfig: In<Theirs.QuickStartConfig, Ours.QuickStartConfig>;
    SwitchRoomConfig: In<Theirs.SwitchRoomConfig, Ours.SwitchRoomConfig>;
    LocalVideoConfig: In<Theirs.LocalVideoConfig, Ours.LocalVideoConfig>;
    VideoProfile: In<Theirs.VideoProfile, Ours.VideoProfile>;
    AudioProfile: In<Theirs.AudioProfile, Ours.AudioProfile>;
    LocalAudioConfig: In<Theirs.LocalAudioConfig, Ours.LocalAudioConfig>;
    UpdateLocalAudioConfig: In<Theirs.UpdateLocalAudioConfig, Ours.UpdateLocalAudioConfig>;
    ScreenShareConfig: In<Theirs.ScreenShareConfig, Ours.ScreenShareConfig>;
    UpdateScreenShareConfig: In<Theirs.UpdateScreenShareConfig, Ours.UpdateScreenShareConfig>;
    RemoteVideoConfig: In<Theirs.RemoteVideoConfig, Ours.RemoteVideoConfig>;
    StopRemoteVideoConfig: In<Theirs.StopRemoteVideoConfig, Ours.StopRemoteVideoConfig>;
    RemoteAudioConfig: In<Theirs.RemoteAudioConfig, Ours.RemoteAudioConfig>;
    StopRemoteAudioConfig: In<Theirs.StopRemoteAudioConfig, Ours.StopRemoteAudioConfig>;
    PermissionOption: In<Theirs.PermissionOption, Ours.PermissionOption>;
    VideoFrameConfig: In<Theirs.VideoFrameConfig, Ours.VideoFrameConfig>;
    CustomMessageData: In<Theirs.CustomMessageData, Ours.CustomMessageData>;
    EnableAudioFrameEventOptions: In<
      Theirs.EnableAudioFrameEventOptions,
      Ours.EnableAudioFrameEventOptions
    >;
    RemotePlayerOptions: In<Theirs.RemotePlayerOptions, Ours.RemotePlayerOptions>;
    RequestPictureInPictureOptions: In<
      Theirs.RequestPictureInPictureOptions,
      Ours.RequestPictureInPictureOptions
    >;
    RequestFullScreenOptions: In<Theirs.RequestFullScreenOptions, Ours.RequestFullScreenOptions>;
    SwitchPlaybackQualityOptions: In<
      Theirs.SwitchPlaybackQualityOptions,
      Ours.SwitchPlaybackQualityOptions
    >;
    PlaybackQualityStream: In<Theirs.PlaybackQualityStream, Ours.PlaybackQualityStream>;
    PreconnectParams: In<Theirs.PreconnectParams, Ours.PreconnectParams>;
    AudioMixerOptions: In<Theirs.AudioMixerOptions, Ours.AudioMixerOptions>;
    UpdateAudioMixerOptions: In<Theirs.UpdateAudioMixerOptions, Ours.UpdateAudioMixerOptions>;
    StopAudioMixerOptions: In<Theirs.StopAudioMixerOptions, Ours.StopAudioMixerOptions>;
    AIDenoiserOptions: In<Theirs.AIDenoiserOptions, Ours.AIDenoiserOptions>;
    UpdateDenoiserOptions: In<Theirs.UpdateDenoiserOptions, Ours.UpdateDenoiserOptions>;
    InitAudioProcessorOptions: In<Theirs.InitAudioProcessorOptions, Ours.InitAudioProcessorOptions>;
    UpdateAudioProcessorOptions: In<
      Theirs.UpdateAudioProcessorOptions,
      Ours.UpdateAudioProcessorOptions
    >;
    UpdateDebugOptions: In<Theirs.UpdateDebugOptions, Ours.UpdateDebugOptions>;
    // Their AudioSource is `any` under TypeScript's DOM library (it lacks MediaStreamAudioTrack).
    AudioSource: 0 extends 1 & Theirs.AudioSource
      ? In<HTMLAudioElement | MediaStreamTrack | AudioNode, Ours.AudioSource>
      : In<Theirs.AudioSource, Ours.AudioSource>;
    CDNStreamingOptions: In<Theirs.CDNStreamingOptions, Ours.CDNStreamingOptions>;
    DeviceDetectorOptions: In<Theirs.DeviceDetectorOptions, Ours.DeviceDetectorOptions>;
    VirtualBackgroundOptions: In<Theirs.VirtualBackgroundOptions, Ours.VirtualBackgroundOptions>;
    UpdateVirtualBackgroundOptions: In<
      Theirs.UpdateVirtualBackgroundOptions,
      Ours.UpdateVirtualBackgroundOptions
    >;
    WatermarkOptions: In<Theirs.WatermarkOptions, Ours.WatermarkOptions>;
    BeautyOptions: In<Theirs.BeautyOptions, Ours.BeautyOptions>;
    UpdateBeautyOptions: In<Theirs.UpdateBeautyOptions, Ours.UpdateBeautyOptions>;
    BasicBeautyOptions: In<Theirs.BasicBeautyOptions, Ours.BasicBeautyOptions>;
    StartCrossRoomOption: In<Theirs.StartCrossRoomOption, Ours.StartCrossRoomOption>;
    UpdateCrossRoomOption: In<Theirs.UpdateCrossRoomOption, Ours.UpdateCrossRoomOption>;
    StopCrossRoomOption: In<Theirs.StopCrossRoomOption, Ours.StopCrossRoomOption>;
    SmallStreamAutoSwitcherOptions: In<
      Theirs.SmallStreamAutoSwitcherOptions,
      Ours.SmallStreamAutoSwitcherOptions
    >;
    VideoMixerOptions: In<Theirs.VideoMixerOptions, Ours.VideoMixerOptions>;
    UpdateVideoMixerOptions: In<Theirs.UpdateVideoMixerOptions, Ours.UpdateVideoMixerOptions>;
    StartRealtimeTranscriberOption: In<
      Theirs.StartRealtimeTranscriberOption,
      Ours.StartRealtimeTranscriberOption
    >;
    StopRealtimeTranscriberOption: In<
      Theirs.StopRealtimeTranscriberOption,
      Ours.StopRealtimeTranscriberOption
    >;
  }>
>;

// ---- what the SDK hands to the app -----------------------------------------------------------

export type Outputs = Expect<
  AllTrue<{
    NetworkQuality: Out<Theirs.NetworkQuality, Ours.NetworkQuality>;
    PingResult: Out<Theirs.PingResult, Ours.PingResult>;
    PingResults: Out<Theirs.PingResults, Ours.PingResults>;
    TRTCStatistics: Out<Theirs.TRTCStatistics, Ours.TRTCStatistics>;
    LocalStatistic: Out<Theirs.LocalStatistic, Ours.LocalStatistic>;
    RemoteStatistic: Out<Theirs.RemoteStatistic, Ours.RemoteStatistic>;
    CustomMessage: Out<Theirs.CustomMessage, Ours.CustomMessage>;
    PermissionResult: Out<Theirs.PermissionResult, Ours.PermissionResult>;
    ResolutionConfig: Out<Theirs.ResolutionConfig, Ours.ResolutionConfig>;
    RealtimeTranscriberStateEvent: Out<
      Theirs.RealtimeTranscriberStateEvent,
      Ours.RealtimeTranscriberStateEvent
    >;
    RealtimeTranscriberMessageEvent: Out<
      Theirs.RealtimeTranscriberMessageEvent,
      Ours.RealtimeTranscriberMessageEvent
    >;
    TranslationText: Out<Theirs.TranslationText, Ours.TranslationText>;
    PictureInPictureStateChangedEvent: Out<
      Theirs.PictureInPictureStateChangedEvent,
      Ours.PictureInPictureStateChangedEvent
    >;
    FullScreenStateChangedEvent: Out<
      Theirs.FullScreenStateChangedEvent,
      Ours.FullScreenStateChangedEvent
    >;
  }>
>;
