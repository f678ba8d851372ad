/**
 * `TRTC` as the default export and the classic script's global: the namespace object of
 * TRTC.ts (`TRTC.createClient()`, `TRTC.Logger`, ...) merged with a namespace of types, so
 * that `TRTC.Client`, `TRTC.LocalStream`, `TRTC.ClientConfig`, ... name the SDK's types, as
 * `@types/trtc-js-sdk` (`export as namespace TRTC`) let v4 applications write them.
 * global.ts declares the same as the global `TRTC`.
 */
import TRTCObject from './TRTC.js';
import type * as SDK from './index.js';

const TRTC = TRTCObject;

// A namespace of types only (nothing at run time): the way to give a value type members.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace TRTC {
  // classes
  export type Client = SDK.Client;
  export type Stream = SDK.Stream;
  export type LocalStream = SDK.LocalStream;
  export type RemoteStream = SDK.RemoteStream;
  export type RtcError = SDK.RtcError;

  // configuration and options
  export type ClientConfig = SDK.ClientConfig;
  export type ClientMode = SDK.ClientMode;
  export type JoinOptions = SDK.JoinOptions;
  export type Role = SDK.Role;
  export type PublishOptions = SDK.PublishOptions;
  export type SubscribeOptions = SDK.SubscribeOptions;
  export type TurnServerConfig = SDK.TurnServerConfig;
  export type ProxyServer = SDK.ProxyServer;
  export type StreamConfig = SDK.StreamConfig;
  export type PlayOptions = SDK.PlayOptions;
  export type PlaybackOptions = SDK.PlaybackOptions;
  export type VideoProfile = SDK.VideoProfile;
  export type ScreenProfile = SDK.ScreenProfile;
  export type Profile = SDK.Profile;
  export type AudioProfileString = SDK.AudioProfileString;
  export type VideoProfileString = SDK.VideoProfileString;
  export type ScreenProfileString = SDK.ScreenProfileString;
  export type SmallStreamProfile = SDK.SmallStreamProfile;
  export type PublishCDNStreamOptions = SDK.PublishCDNStreamOptions;
  export type MixTranscodeConfig = SDK.MixTranscodeConfig;
  export type MixUser = SDK.MixUser;

  // events
  export type ClientEventMap = SDK.ClientEventMap;
  export type StreamEventMap = SDK.StreamEventMap;
  export type ClientEvent = SDK.ClientEvent;
  export type StreamEvent = SDK.StreamEvent;
  export type RemoteStreamInfo = SDK.RemoteStreamInfo;
  export type RemoteStreamUpdatedInfo = SDK.RemoteStreamUpdatedInfo;
  export type MixUserItem = SDK.MixUserItem;
  export type RemoteUserInfo = SDK.RemoteUserInfo;
  export type ConnectionState = SDK.ConnectionState;
  export type NetworkQuality = SDK.NetworkQuality;
  export type UserAudioVolume = SDK.UserAudioVolume;
  export type SEIMessageEvent = SDK.SEIMessageEvent;
  export type PlayerStateChangedEvent = SDK.PlayerStateChangedEvent;

  // results
  export type CheckResult = SDK.CheckResult;
  export type RemoteMutedState = SDK.RemoteMutedState;
  export type RemoteStreamType = SDK.RemoteStreamType;
  export type TransportStats = SDK.TransportStats;
  export type LocalAudioStats = SDK.LocalAudioStats;
  export type LocalVideoStats = SDK.LocalVideoStats;
  export type RemoteAudioStats = SDK.RemoteAudioStats;
  export type RemoteVideoStats = SDK.RemoteVideoStats;
  export type LocalAudioStatsMap = SDK.LocalAudioStatsMap;
  export type LocalVideoStatsMap = SDK.LocalVideoStatsMap;
  export type RemoteAudioStatsMap = SDK.RemoteAudioStatsMap;
  export type RemoteVideoStatsMap = SDK.RemoteVideoStatsMap;
  export type SentMediaStats = SDK.SentMediaStats;
  export type ReceivedMediaStats = SDK.ReceivedMediaStats;
  export type VideoStats = SDK.VideoStats;

  // errors
  export type ErrorCode = SDK.ErrorCode;
  export type ErrorCodeName = SDK.ErrorCodeName;

  // helpers
  export type Nullable<T> = SDK.Nullable<T>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as v4's types
  export type Callback<T = any> = SDK.Callback<T>;
  export type Omit<T, K extends PropertyKey> = SDK.Omit<T, K>;

  // `TRTC.Logger.LogLevel` as a type, as @types/trtc-js-sdk declared it
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace Logger {
    export type LogLevel = typeof SDK.LogLevel;
  }
}

export default TRTC;
