/**
 * Member-by-member conformance of Parley's types (`trtc-js-sdk`, mapped to
 * packages/sdk/dist/index.d.ts by tsconfig.ours-conformance.json) with the types shipped in
 * the `trtc-js-sdk` 4.15.22 package (`@theirs/trtc-js-sdk`, mapped to its index.d.ts).
 *
 * Every name their index.d.ts exports appears below as `Theirs.<Name>` (types.test.ts checks
 * that none is left out), with the check its role calls for: methods call-compatible, event
 * payloads and results usable as theirs, configs and options accepted by ours, enumerations
 * and constant tables identical.
 */
import type TheirTRTC from '@theirs/trtc-js-sdk';
import type * as Theirs from '@theirs/trtc-js-sdk';
import type OurTRTC from 'trtc-js-sdk';
import type * as Ours from 'trtc-js-sdk';
import type {
  AllTrue,
  EventsCompat,
  Expect,
  InputCompat,
  MembersCompat,
  OutputCompat,
  SameCompat,
} from './conformance-helpers.js';

/** Their SDK objects and ours: where their signatures name theirs, an app has ours. */
type S = [
  [Theirs.Client, Ours.Client],
  [Theirs.LocalStream, Ours.LocalStream],
  [Theirs.RemoteStream, Ours.RemoteStream],
  [Theirs.Stream, Ours.Stream],
  [Theirs.RtcError, Ours.RtcError],
];

// ---- known differences ------------------------------------------------------------------------

/**
 * Network quality levels: their type says 1..6, but their SDK (like ours, and as their docs
 * say) reports 0 while the quality is unknown (before the first measurement, not publishing).
 * Code written against their type compiles against ours, except an exhaustive
 * `Record<1 | 2 | 3 | 4 | 5 | 6, ...>` indexed by the level.
 */
type NetworkQualityWithUnknown = Omit<
  Theirs.NetworkQuality,
  'uplinkNetworkQuality' | 'downlinkNetworkQuality'
> & {
  uplinkNetworkQuality: 0 | Theirs.NetworkQuality['uplinkNetworkQuality'];
  downlinkNetworkQuality: 0 | Theirs.NetworkQuality['downlinkNetworkQuality'];
};
type TheirClientEventMap = Omit<Theirs.ClientEventMap, 'network-quality'> & {
  'network-quality': NetworkQualityWithUnknown;
};

// ---- the TRTC namespace (the default export) ------------------------------------------------

export type Namespace = Expect<MembersCompat<typeof TheirTRTC, typeof OurTRTC, S, 'Logger'>>;
export type NamespaceValues = Expect<
  OutputCompat<typeof TheirTRTC.VERSION, typeof OurTRTC.VERSION>
>;
export type Logger = Expect<
  MembersCompat<typeof TheirTRTC.Logger, typeof OurTRTC.Logger, S, 'LogLevel'>
>;
export type LogLevel = Expect<
  SameCompat<typeof TheirTRTC.Logger.LogLevel, typeof OurTRTC.Logger.LogLevel>
>;

// ---- classes: every method, call-compatible (on/off: see the event maps) ----------------------

export type Client = Expect<MembersCompat<Theirs.Client, Ours.Client, S, 'on' | 'off'>>;
export type Stream = Expect<MembersCompat<Theirs.Stream, Ours.Stream, S, 'on' | 'off'>>;
export type LocalStream = Expect<
  MembersCompat<Theirs.LocalStream, Ours.LocalStream, S, 'on' | 'off'>
>;
export type RemoteStream = Expect<
  MembersCompat<Theirs.RemoteStream, Ours.RemoteStream, S, 'on' | 'off'>
>;
/**
 * Their `getCode()` returns the union of the ErrorCode values; ours returns `number`, because
 * a code from a newer server passes through unchanged. Code comparing it with numbers, or
 * using it as a number, compiles against both (see app-default.ts).
 */
export type RtcError = Expect<MembersCompat<Theirs.RtcError, Ours.RtcError, S, 'getCode'>>;
export type RtcErrorCode = Expect<OutputCompat<number, ReturnType<Ours.RtcError['getCode']>>>;

// ---- events ----------------------------------------------------------------------------------

export type ClientEventMap = Expect<EventsCompat<TheirClientEventMap, Ours.ClientEventMap, S>>;
export type StreamEventMap = Expect<EventsCompat<Theirs.StreamEventMap, Ours.StreamEventMap, S>>;
export type ClientEvent = Expect<SameCompat<Theirs.ClientEvent, Ours.ClientEvent>>;
export type StreamEvent = Expect<SameCompat<Theirs.StreamEvent, Ours.StreamEvent>>;
export type EventPayloads = Expect<
  AllTrue<{
    RemoteStreamInfo: OutputCompat<Theirs.RemoteStreamInfo, Ours.RemoteStreamInfo, S>;
    RemoteStreamUpdatedInfo: OutputCompat<
      Theirs.RemoteStreamUpdatedInfo,
      Ours.RemoteStreamUpdatedInfo,
      S
    >;
    MixUserItem: OutputCompat<Theirs.MixUserItem, Ours.MixUserItem, S>;
    RemoteUserInfo: OutputCompat<Theirs.RemoteUserInfo, Ours.RemoteUserInfo, S>;
    NetworkQuality: OutputCompat<NetworkQualityWithUnknown, Ours.NetworkQuality, S>;
    UserAudioVolume: OutputCompat<Theirs.UserAudioVolume, Ours.UserAudioVolume, S>;
    SEIMessageEvent: OutputCompat<Theirs.SEIMessageEvent, Ours.SEIMessageEvent, S>;
  }>
>;

// ---- results ---------------------------------------------------------------------------------

export type Results = Expect<
  AllTrue<{
    CheckResult: OutputCompat<Theirs.CheckResult, Ours.CheckResult, S>;
    RemoteMutedState: OutputCompat<Theirs.RemoteMutedState, Ours.RemoteMutedState, S>;
    TransportStats: OutputCompat<Theirs.TransportStats, Ours.TransportStats, S>;
    LocalAudioStats: OutputCompat<Theirs.LocalAudioStats, Ours.LocalAudioStats, S>;
    LocalVideoStats: OutputCompat<Theirs.LocalVideoStats, Ours.LocalVideoStats, S>;
    RemoteAudioStats: OutputCompat<Theirs.RemoteAudioStats, Ours.RemoteAudioStats, S>;
    RemoteVideoStats: OutputCompat<Theirs.RemoteVideoStats, Ours.RemoteVideoStats, S>;
    LocalAudioStatsMap: OutputCompat<Theirs.LocalAudioStatsMap, Ours.LocalAudioStatsMap, S>;
    LocalVideoStatsMap: OutputCompat<Theirs.LocalVideoStatsMap, Ours.LocalVideoStatsMap, S>;
    RemoteAudioStatsMap: OutputCompat<Theirs.RemoteAudioStatsMap, Ours.RemoteAudioStatsMap, S>;
    RemoteVideoStatsMap: OutputCompat<Theirs.RemoteVideoStatsMap, Ours.RemoteVideoStatsMap, S>;
  }>
>;

// ---- configs and options ---------------------------------------------------------------------

export type Inputs = Expect<
  AllTrue<{
    ClientConfig: InputCompat<Theirs.ClientConfig, Ours.ClientConfig, S>;
    StreamConfig: InputCompat<Theirs.StreamConfig, Ours.StreamConfig, S>;
    JoinOptions: InputCompat<Theirs.JoinOptions, Ours.JoinOptions, S>;
    TurnServerConfig: InputCompat<Theirs.TurnServerConfig, Ours.TurnServerConfig, S>;
    PlaybackOptions: InputCompat<Theirs.PlaybackOptions, Ours.PlaybackOptions, S>;
    VideoProfile: InputCompat<Theirs.VideoProfile, Ours.VideoProfile, S>;
    ScreenProfile: InputCompat<Theirs.ScreenProfile, Ours.ScreenProfile, S>;
    AudioProfileString: InputCompat<Theirs.AudioProfileString, Ours.AudioProfileString, S>;
    VideoProfileString: InputCompat<Theirs.VideoProfileString, Ours.VideoProfileString, S>;
    ScreenProfileString: InputCompat<Theirs.ScreenProfileString, Ours.ScreenProfileString, S>;
    SmallStreamProfile: InputCompat<Theirs.SmallStreamProfile, Ours.SmallStreamProfile, S>;
    PublishCDNStreamOptions: InputCompat<
      Theirs.PublishCDNStreamOptions,
      Ours.PublishCDNStreamOptions,
      S
    >;
    MixTranscodeConfig: InputCompat<Theirs.MixTranscodeConfig, Ours.MixTranscodeConfig, S>;
    MixUser: InputCompat<Theirs.MixUser, Ours.MixUser, S>;
  }>
>;

// ---- enumerations and constant tables ----------------------------------------------------------

export type Enumerations = Expect<
  AllTrue<{
    Role: SameCompat<Theirs.Role, Ours.Role>;
    RemoteStreamType: SameCompat<Theirs.RemoteStreamType, Ours.RemoteStreamType>;
    ConnectionState: SameCompat<Theirs.ConnectionState, Ours.ConnectionState>;
    ErrorCode: SameCompat<Theirs.ErrorCode, Ours.ErrorCode>;
  }>
>;
