/**
 * Everything one join creates: the signaling channel, the room state, the remote streams,
 * both peer connections, and the subscribe() calls waiting for media. `close()` ends all of
 * it at once, so a later join on the same Client starts clean, and an async step that
 * resumes after its session ended sees `ended` and stops.
 */
import type { JoinData, StreamType } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import type { LocalStream } from '../stream/LocalStream.js';
import type { RemoteStream } from '../stream/RemoteStream.js';
import {
  SignalChannel,
  type ServerRequestHandler,
  type WebSocketCtor,
} from '../signal/SignalChannel.js';
import { DEFAULT_RTC_CONFIGURATION } from '../transport/PeerTransport.js';
import { PublisherTransport } from '../transport/PublisherTransport.js';
import type { ConnectionRecovery } from './ConnectionRecovery.js';
import { Publications } from './Publications.js';
import { SubscriberTransport } from '../transport/SubscriberTransport.js';
import { Disposer } from '../util/Disposer.js';
import { RemoteStreams } from './RemoteStreams.js';
import { RoomState, streamKey } from './RoomState.js';
import type { SmallStreamProfile } from './smallStream.js';

/** Injected collaborators and limits; `TRTC.createClient` passes only the defaults. */
export interface ClientDependencies {
  /** The signaling URL when the config has no `serverUrl` (the SDK script's origin). */
  defaultSignalUrl?: string;
  /** The WebSocket implementation (the `ws` package in Node tests). */
  WebSocketCtor?: WebSocketCtor;
  rtcConfiguration?: RTCConfiguration;
  requestTimeoutMs?: number;
  openTimeoutMs?: number;
  reconnectDelaysMs?: readonly number[];
}

export interface SessionOptions {
  url: string;
  joinData: JoinData;
  deps: ClientDependencies;
  /** Answers the server's requests (`offer`). */
  onServerRequest: ServerRequestHandler;
  onSubscriberState(state: RTCPeerConnectionState): void;
  onPublisherState(transport: PublisherTransport, state: RTCPeerConnectionState): void;
  /** A received track was put on (or taken from) a remote stream object. */
  onRemoteTrackChanged(stream: RemoteStream, kind: 'audio' | 'video'): void;
  /** How long publish() waits for the publisher connection. */
  connectTimeoutMs: number;
  /** The small stream profile while dual stream is enabled, else null. */
  smallStream(): SmallStreamProfile | null;
}

interface TrackWaiter {
  check(): void;
  cancel(error: RtcError): void;
}

export class Session {
  readonly joinData: JoinData;
  readonly signal: SignalChannel;
  readonly room: RoomState;
  readonly streams = new RemoteStreams();
  readonly subscriber: SubscriberTransport;
  /** The published streams (main, auxiliary) and their shared publisher connection. */
  readonly publications: Publications;
  /** Room events held back until join() has resolved (see Client.flushDeferred). */
  deferred: Array<() => void> | null = [];
  /** Why the session ended; null while it lives. */
  ended: RtcError | null = null;
  /** ICE restarts and the connection state while joined (set by the Client at join). */
  recovery: ConnectionRecovery | null = null;
  private readonly rtcConfiguration: RTCConfiguration;
  /** subscribe() calls waiting for their tracks, by stream key. */
  private readonly waiters = new Map<string, Set<TrackWaiter>>();
  private readonly disposer = new Disposer();

  constructor(options: SessionOptions) {
    const { deps } = options;
    this.joinData = options.joinData;
    this.room = new RoomState(options.joinData.userId);
    // A copy both transports share: the server's iceServers may still be set after join.
    this.rtcConfiguration = { ...(deps.rtcConfiguration ?? DEFAULT_RTC_CONFIGURATION) };
    this.signal = new SignalChannel({
      url: options.url,
      onRequest: options.onServerRequest,
      ...(deps.WebSocketCtor ? { WebSocketCtor: deps.WebSocketCtor } : {}),
      ...(deps.requestTimeoutMs ? { requestTimeoutMs: deps.requestTimeoutMs } : {}),
      ...(deps.openTimeoutMs ? { openTimeoutMs: deps.openTimeoutMs } : {}),
      ...(deps.reconnectDelaysMs ? { reconnectDelaysMs: deps.reconnectDelaysMs } : {}),
    });
    this.subscriber = new SubscriberTransport({
      rtcConfiguration: this.rtcConfiguration,
      handler: {
        onLocalCandidate: (candidate) =>
          this.signal.notify('candidate', { pc: 'subscriber', candidate }),
        onConnectionStateChange: (state) => options.onSubscriberState(state),
        onRemoteTrack: (info, track) => {
          const stream = this.streams.addTrack(info, track);
          if (stream) {
            this.checkWaiters(streamKey(info.userId, info.streamType));
            options.onRemoteTrackChanged(stream, info.kind);
          }
        },
        onRemoteTrackRemoved: (info, track) => {
          const stream = this.streams.removeTrack(info, track);
          if (stream) options.onRemoteTrackChanged(stream, info.kind);
        },
      },
    });
    this.publications = new Publications({
      signal: this.signal,
      createTransport: () => {
        const transport: PublisherTransport = new PublisherTransport({
          rtcConfiguration: this.rtcConfiguration,
          handler: {
            onLocalCandidate: (candidate) =>
              this.signal.notify('candidate', { pc: 'publisher', candidate }),
            onConnectionStateChange: (state) => {
              // The streams' own states first (v4's stream event), then the session's recovery.
              this.publications.peerStateChanged(transport, state);
              options.onPublisherState(transport, state);
            },
          },
        });
        return transport;
      },
      ended: () => this.ended,
      connectTimeoutMs: options.connectTimeoutMs,
      smallStream: options.smallStream,
    });
  }

  /**
   * The TURN/STUN servers the server handed out at join, for the peer connections made from
   * now on, unless the app gave its own (setTurnServer() wins).
   */
  useServerIceServers(servers: RTCIceServer[]): void {
    if ((this.rtcConfiguration.iceServers ?? []).length > 0 || servers.length === 0) return;
    this.rtcConfiguration.iceServers = servers;
  }

  /** The iceServers the peer connections are made with. */
  get iceServers(): RTCIceServer[] {
    return this.rtcConfiguration.iceServers ?? [];
  }

  /** The publisher connection, while anything is published or being published. */
  get publisher(): PublisherTransport | null {
    return this.publications.transport;
  }

  /** The published main stream (camera/microphone), if any. */
  get published(): LocalStream | null {
    return this.publications.published('main');
  }

  /** Every published stream with its type. */
  publishedStreams(): Array<{ streamType: StreamType; stream: LocalStream }> {
    return (['main', 'auxiliary'] as const).flatMap((streamType) => {
      const stream = this.publications.published(streamType);
      return stream ? [{ streamType, stream }] : [];
    });
  }

  /**
   * Resolves when `stream` carries the tracks `wanted` asks for (of those it publishes):
   * at once when autoSubscribe already brought them. Rejects SUBSCRIPTION_TIMEOUT after
   * `timeoutMs`, or with the reason when the stream or the session goes away first.
   */
  waitForTracks(
    stream: RemoteStream,
    wanted: { audio: boolean; video: boolean },
    timeoutMs: number,
  ): Promise<void> {
    const ready = (): boolean =>
      (!(wanted.audio && stream.hasAudio()) || stream.getAudioTrack() !== null) &&
      (!(wanted.video && stream.hasVideo()) || stream.getVideoTrack() !== null);
    if (this.ended) return Promise.reject(this.ended);
    if (ready()) return Promise.resolve();
    const key = streamKey(stream.getUserId(), stream.getType());
    return new Promise((resolve, reject) => {
      const finish = (error?: RtcError): void => {
        clearTimeout(timer);
        const set = this.waiters.get(key);
        set?.delete(waiter);
        if (set?.size === 0) this.waiters.delete(key);
        if (error) reject(error);
        else resolve();
      };
      const waiter: TrackWaiter = {
        check: () => {
          if (ready()) finish();
        },
        cancel: (error) => finish(error),
      };
      const timer = setTimeout(
        () =>
          finish(
            RtcError.subscriptionTimeout(
              `the media of ${describeStream(stream)} did not arrive in time ` +
                `(has audio track: ${stream.getAudioTrack() !== null}, has video track: ${stream.getVideoTrack() !== null})`,
            ),
          ),
        Math.max(0, timeoutMs),
      );
      const set = this.waiters.get(key) ?? new Set<TrackWaiter>();
      set.add(waiter);
      this.waiters.set(key, set);
    });
  }

  /** Re-checks the subscribe() calls waiting on a stream (its tracks or flags changed). */
  checkWaiters(key: string): void {
    for (const waiter of [...(this.waiters.get(key) ?? [])]) waiter.check();
  }

  /** Fails the subscribe() calls waiting on a stream. */
  cancelWaiters(key: string, error: RtcError): void {
    for (const waiter of [...(this.waiters.get(key) ?? [])]) waiter.cancel(error);
  }

  /** Runs `action` when the session closes (e.g. removing a page listener). */
  onClose(action: () => void): void {
    this.disposer.add(action);
  }

  /** Ends everything; idempotent. The first reason given is kept. */
  close(reason: RtcError): void {
    this.ended ??= reason;
    this.deferred = null;
    this.disposer.dispose();
    this.signal.close();
    this.publications.close();
    this.subscriber.close();
    for (const key of [...this.waiters.keys()]) this.cancelWaiters(key, this.ended);
    this.streams.clear();
    this.room.clear();
  }
}

export function describeStream(stream: RemoteStream): string {
  return `the ${stream.getType()} stream of user ${JSON.stringify(stream.getUserId())}`;
}
