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
import type { AllTrue, Expect, MissingKeys, Subst } from '../conformance-helpers.js';

/**
 * Their SDK objects and ours: where their signatures name theirs, an app has ours (and ours
 * stay as they are: the instance is checked member by member above its uses).
 */
type S = [
  [TheirTRTC, OurTRTC],
  [Theirs.RtcError, Ours.RtcError],
  [OurTRTC, OurTRTC],
  [Ours.RtcError, Ours.RtcError],
];

/** Whether A and B are the identical type. */
type Same<A, B> =
  (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/**
 * `T` as an app sees it, whichever declaration it comes from: their SDK objects replaced by
 * ours (S), enum members by their values (`Scene.RTC` → `'rtc'`, `PEER_LEAVE_REASON.KICK` →
 * `2`), down `D` levels into objects, tuples, function parameters and results. Classes
 * (plugin constructors), DOM objects and buffers are kept as they are.
 */
type Plain<
  T,
  Subs extends Subst = S,
  D extends unknown[] = [0, 0, 0, 0, 0, 0, 0],
> = T extends unknown ? PlainOne<T, Subs, Subs, D> : never;
type PlainOne<T, Subs extends Subst, All extends Subst, D extends unknown[]> = 0 extends 1 & T
  ? T
  : Subs extends readonly [readonly [infer From, infer To], ...infer Rest extends Subst]
    ? Same<T, From> extends true
      ? To
      : PlainOne<T, Rest, All, D>
    : T extends string
      ? `${T}`
      : T extends number
        ? `${T}` extends `${infer N extends number}`
          ? N
          : T
        : T extends boolean | bigint | symbol | null | undefined | void
          ? T
          : T extends
                | (abstract new (...args: never) => unknown)
                | EventTarget
                | ArrayBuffer
                | ArrayBufferView
                | MediaDeviceInfo
                | Error
            ? T
            : D extends [unknown, ...infer Less extends unknown[]]
              ? T extends (...args: infer A) => infer R
                ? (...args: Plain<A, All, Less>) => Plain<R, All, Less>
                : T extends Promise<infer P>
                  ? Promise<Plain<P, All, Less>>
                  : { [K in keyof T]: Plain<T[K], All, Less> }
              : T;

/** Data the app passes: theirs accepted by ours, and every field of theirs known to ours. */
type In<Th, Ou> = [Plain<Th>] extends [Plain<Ou>]
  ? [MissingKeys<NonNullable<Th>, NonNullable<Ou>>] extends [never]
    ? true
    : { fieldsUnknownToOurs: MissingKeys<NonNullable<Th>, NonNullable<Ou>> }
  : { notAcceptedByOurs: { ours: Plain<Ou>; theirs: Plain<Th> } };
/** Data the SDK hands out: ours usable as theirs, with every field of theirs. */
type Out<Th, Ou> = [Plain<Ou>] extends [Plain<Th>]
  ? [MissingKeys<NonNullable<Th>, NonNullable<Ou>>] extends [never]
    ? true
    : { fieldsMissingInOurs: MissingKeys<NonNullable<Th>, NonNullable<Ou>> }
  : { notAssignableToTheirs: { ours: Plain<Ou>; theirs: Plain<Th> } };
/** Enumerations: the same values both ways. */
type Eq<Th, Ou> = [Plain<Th>] extends [Plain<Ou>]
  ? [Plain<Ou>] extends [Plain<Th>]
    ? true
    : { oursHasMore: { ours: Plain<Ou>; theirs: Plain<Th> } }
  : { theirsHasMore: { ours: Plain<Ou>; theirs: Plain<Th> } };
/**
 * A member: the arguments an app passes to theirs are accepted by ours, and what ours returns
 * is usable where theirs was (anything is, where theirs returns void).
 */
type Call<Th, Ou> = [Plain<Th>] extends [(...args: infer TA) => infer TR]
  ? [Plain<Ou>] extends [(...args: infer OA) => infer OR]
    ? [TA] extends [OA]
      ? [TR] extends [void]
        ? true
        : [OR] extends [TR]
          ? true
          : { returnTypeDiffers: { ours: OR; theirs: TR } }
      : { parametersDiffer: { ours: OA; theirs: TA } }
    : { notAFunctionInOurs: Ou }
  : Out<Th, Ou>;
/** Every member of theirs exists in ours, call-compatible. */
type Members<Th, Ou, Skip extends PropertyKey = never> = AllTrue<{
  [K in Exclude<keyof Th, Skip>]: K extends keyof Ou ? Call<Th[K], Ou[K]> : 'missing in ours';
}>;
/** Ours fires every event of theirs, with arguments a listener typed by theirs accepts. */
type EventArgs<Th, Ou> = AllTrue<{
  [K in keyof Th]: K extends keyof Ou ? Out<Th[K], Ou[K]> : 'missing in ours';
}>;

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
