/**
 * Member-by-member conformance of Parley's `TRTC` namespace (the default export, which
 * packages/sdk/dist/global.d.ts also declares as the global `TRTC`) with
 * `@types/trtc-js-sdk` 4.8.0 (`@theirs/types-trtc-js-sdk`, mapped to its index.d.ts), whose
 * apps write `TRTC.Client`, `TRTC.LocalStream`, ... and call `TRTC.createClient()`.
 *
 * Every name that index.d.ts exports appears below as `Theirs.<Name>` (types.test.ts checks
 * that none is left out). The known differences are spelled out first.
 */
import type * as Theirs from '@theirs/types-trtc-js-sdk';
import type TRTC from 'trtc-js-sdk';
import type {
  AllTrue,
  EventsCompat,
  Expect,
  InputCompat,
  MembersCompat,
  OutputCompat,
  SameCompat,
} from './conformance-helpers.js';

// ---- known differences ------------------------------------------------------------------------

/**
 * 4.8's `getCode(): string` was wrong: every TRTC v4 SDK, and Parley, return the number
 * (0x4043, ...). Code that only prints it (`'code ' + error.getCode()`) compiles against both.
 */
type TheirRtcErrorKeys = Exclude<keyof Theirs.RtcError, 'getCode'>;

/**
 * 4.8's `detail.isH264Supported` is gone from later v4 SDKs too: they, and Parley, report
 * isH264EncodeSupported and isH264DecodeSupported (and the same for VP8).
 */
type TheirCheckResult = Omit<Theirs.CheckResult, 'detail'> & {
  detail: Omit<Theirs.CheckResult['detail'], 'isH264Supported'>;
};

/**
 * 4.8's `VideoStats` fields `framesWidth`/`framesHeight` were a typo no SDK ever set: the
 * stats carry `frameWidth`/`frameHeight`, which 4.8 declares too.
 */
type Typo = 'framesWidth' | 'framesHeight';

/** The levels include 0 (unknown) as in every v4 SDK: see conformance-default.ts. */
type TheirNetworkQuality = {
  uplinkNetworkQuality: 0 | Theirs.NetworkQuality['uplinkNetworkQuality'];
  downlinkNetworkQuality: 0 | Theirs.NetworkQuality['downlinkNetworkQuality'];
};

/**
 * Events: 4.8 types `client-banned` as RtcError (getCode: see above; Parley's payload is
 * also an RtcError) and the player's `reason` without 'pause', which later v4 SDKs and
 * Parley send when the browser pauses a player.
 */
type TheirClientEventMap = Omit<
  Theirs.ClientEventMap,
  'client-banned' | 'error' | 'network-quality'
> & {
  'client-banned': Pick<Theirs.RtcError, TheirRtcErrorKeys>;
  error: Pick<Theirs.RtcError, TheirRtcErrorKeys>;
  'network-quality': TheirNetworkQuality;
};
type TheirStreamEventMap = Omit<Theirs.StreamEventMap, 'player-state-changed'> & {
  'player-state-changed': Omit<Theirs.StreamEventMap['player-state-changed'], 'reason'> & {
    reason: Theirs.StreamEventMap['player-state-changed']['reason'] | 'pause';
  };
};

/**
 * Their SDK objects and ours (where their signatures name theirs, an app has ours), and
 * their results with a known difference (above).
 */
type S = [
  [Theirs.Client, TRTC.Client],
  [Theirs.LocalStream, TRTC.LocalStream],
  [Theirs.RemoteStream, TRTC.RemoteStream],
  [Theirs.Stream, TRTC.Stream],
  [Theirs.RtcError, TRTC.RtcError],
  [Theirs.CheckResult, TheirCheckResult],
  [Theirs.LocalVideoStatsMap, Record<string, Stats<Theirs.LocalVideoStats>>],
  [Theirs.RemoteVideoStatsMap, Record<string, Stats<Theirs.RemoteVideoStats>>],
];
type Stats<T> = Omit<T, Typo>;

// ---- the TRTC namespace ----------------------------------------------------------------------

export type Namespace = Expect<MembersCompat<typeof Theirs, typeof TRTC, S, 'Logger'>>;
export type Logger = Expect<MembersCompat<typeof Theirs.Logger, typeof TRTC.Logger, S>>;
export type LogLevelType = Expect<SameCompat<Theirs.Logger.LogLevel, TRTC.Logger.LogLevel>>;

// ---- classes -----------------------------------------------------------------------------------

export type Client = Expect<MembersCompat<Theirs.Client, TRTC.Client, S, 'on' | 'off'>>;
export type Stream = Expect<MembersCompat<Theirs.Stream, TRTC.Stream, S, 'on'>>;
export type LocalStream = Expect<MembersCompat<Theirs.LocalStream, TRTC.LocalStream, S, 'on'>>;
export type RemoteStream = Expect<MembersCompat<Theirs.RemoteStream, TRTC.RemoteStream, S, 'on'>>;
export type RtcError = Expect<
  MembersCompat<Pick<Theirs.RtcError, TheirRtcErrorKeys>, TRTC.RtcError, S>
>;

// ---- events ----------------------------------------------------------------------------------

export type ClientEventMap = Expect<EventsCompat<TheirClientEventMap, TRTC.ClientEventMap, S>>;
export type StreamEventMap = Expect<EventsCompat<TheirStreamEventMap, TRTC.StreamEventMap, S>>;
export type Handlers = Expect<
  AllTrue<{
    Callback: SameCompat<Theirs.Callback<string>, TRTC.Callback<string>>;
    RemoteStreamInfo: OutputCompat<Theirs.RemoteStreamInfo, TRTC.RemoteStreamInfo, S>;
    RemoteUserInfo: OutputCompat<Theirs.RemoteUserInfo, TRTC.RemoteUserInfo, S>;
    NetworkQuality: OutputCompat<TheirNetworkQuality, TRTC.NetworkQuality, S>;
  }>
>;

// ---- results ---------------------------------------------------------------------------------

export type Results = Expect<
  AllTrue<{
    Nullable: SameCompat<Theirs.Nullable<string>, TRTC.Nullable<string>>;
    CheckResult: OutputCompat<Theirs.CheckResult, TRTC.CheckResult, S>;
    RemoteMutedState: OutputCompat<Theirs.RemoteMutedState, TRTC.RemoteMutedState, S>;
    TransportStats: OutputCompat<Theirs.TransportStats, TRTC.TransportStats, S>;
    VideoStats: OutputCompat<Stats<Theirs.VideoStats>, TRTC.VideoStats, S>;
    SentMediaStats: OutputCompat<Theirs.SentMediaStats, TRTC.SentMediaStats, S>;
    ReceivedMediaStats: OutputCompat<Theirs.ReceivedMediaStats, TRTC.ReceivedMediaStats, S>;
    LocalAudioStats: OutputCompat<Theirs.LocalAudioStats, TRTC.LocalAudioStats, S>;
    LocalVideoStats: OutputCompat<Stats<Theirs.LocalVideoStats>, TRTC.LocalVideoStats, S>;
    RemoteAudioStats: OutputCompat<Theirs.RemoteAudioStats, TRTC.RemoteAudioStats, S>;
    RemoteVideoStats: OutputCompat<Stats<Theirs.RemoteVideoStats>, TRTC.RemoteVideoStats, S>;
    LocalAudioStatsMap: OutputCompat<Theirs.LocalAudioStatsMap, TRTC.LocalAudioStatsMap, S>;
    LocalVideoStatsMap: OutputCompat<Theirs.LocalVideoStatsMap, TRTC.LocalVideoStatsMap, S>;
    RemoteAudioStatsMap: OutputCompat<Theirs.RemoteAudioStatsMap, TRTC.RemoteAudioStatsMap, S>;
    RemoteVideoStatsMap: OutputCompat<Theirs.RemoteVideoStatsMap, TRTC.RemoteVideoStatsMap, S>;
  }>
>;

// ---- configs and options ---------------------------------------------------------------------

export type Inputs = Expect<
  AllTrue<{
    ClientConfig: InputCompat<Theirs.ClientConfig, TRTC.ClientConfig, S>;
    StreamConfig: InputCompat<Theirs.StreamConfig, TRTC.StreamConfig, S>;
    JoinOptions: InputCompat<Theirs.JoinOptions, TRTC.JoinOptions, S>;
    TurnServerConfig: InputCompat<Theirs.TurnServerConfig, TRTC.TurnServerConfig, S>;
    PlayOptions: InputCompat<Theirs.PlayOptions, TRTC.PlayOptions, S>;
    Profile: InputCompat<Theirs.Profile, TRTC.Profile, S>;
    VideoProfileString: InputCompat<Theirs.VideoProfileString, TRTC.VideoProfileString, S>;
    ScreenProfileString: InputCompat<Theirs.ScreenProfileString, TRTC.ScreenProfileString, S>;
    MixTranscodeConfig: InputCompat<Theirs.MixTranscodeConfig, TRTC.MixTranscodeConfig, S>;
    MixUser: InputCompat<Theirs.MixUser, TRTC.MixUser, S>;
    Omit: SameCompat<Theirs.Omit<{ a: 1; b: 2 }, 'a'>, TRTC.Omit<{ a: 1; b: 2 }, 'a'>>;
  }>
>;

// ---- enumerations ----------------------------------------------------------------------------

export type Enumerations = Expect<
  AllTrue<{
    Role: SameCompat<Theirs.Role, TRTC.Role>;
    ConnectionState: SameCompat<Theirs.ConnectionState, TRTC.ConnectionState>;
  }>
>;
