/**
 * What one session publishes: the LocalStream published as 'main' and the one published as
 * 'auxiliary' (screen share), the single publisher connection they share, and every
 * renegotiation of it. Each change (a publish, an added or removed track, an unpublish that
 * leaves another stream) is a new offer with the full track map, sent as `publish`; they run
 * strictly one after another. The connection closes only when nothing is published.
 */
import type { StreamType, TrackKind } from '@parley/protocol';
import type { ConnectionState } from '../connectionState.js';
import { RtcError } from '../errors/RtcError.js';
import type { SignalChannel } from '../signal/SignalChannel.js';
import type { LocalStream, LocalStreamPublisher } from '../stream/LocalStream.js';
import type { EncodingLimits, PublisherTransport } from '../transport/PublisherTransport.js';
import { createLogger } from '../util/Logger.js';
import { smallEncoding, type SmallEncoding, type SmallStreamProfile } from './smallStream.js';

const log = createLogger('publications');

export interface PublicationsOptions {
  signal: SignalChannel;
  /** A new publisher connection (called when the first stream is published). */
  createTransport(): PublisherTransport;
  /** Why the session ended, or null while it lives. */
  ended(): RtcError | null;
  connectTimeoutMs: number;
  /** The small stream profile while dual stream is enabled, else null (main video only). */
  smallStream(): SmallStreamProfile | null;
}

interface Publication {
  stream: LocalStream;
  streamType: StreamType;
  /** The kinds that have a transceiver. */
  kinds: Set<TrackKind>;
  /** false while publish() is in flight. */
  published: boolean;
  /** The mute flags the server last heard (at negotiation or by `mute`). */
  serverMuted: Record<TrackKind, boolean>;
}

export class Publications {
  private current: PublisherTransport | null = null;
  private readonly byType = new Map<StreamType, Publication>();
  /** Negotiations run one at a time: the tail of that chain. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PublicationsOptions) {}

  /** The publisher connection, while anything is published or being published. */
  get transport(): PublisherTransport | null {
    return this.current;
  }

  /** The stream published (not in flight) as `streamType`. */
  published(streamType: StreamType): LocalStream | null {
    const pub = this.byType.get(streamType);
    return pub?.published ? pub.stream : null;
  }

  /** The stream published or being published as `streamType`. */
  occupant(streamType: StreamType): LocalStream | null {
    return this.byType.get(streamType)?.stream ?? null;
  }

  /** How `stream` is published (or being published), if it is. */
  typeOf(stream: LocalStream): StreamType | undefined {
    for (const pub of this.byType.values()) if (pub.stream === stream) return pub.streamType;
    return undefined;
  }

  /** Publishes `stream` as `streamType`; resolves once its media flows to the server. */
  async publish(stream: LocalStream, streamType: StreamType): Promise<void> {
    const mediaStream = stream.getMediaStream();
    const tracks = stream.getPublishTracks();
    if (!mediaStream || tracks.length === 0) {
      throw RtcError.invalidOperation('the stream has no audio or video track to publish');
    }
    const pub: Publication = {
      stream,
      streamType,
      kinds: new Set(),
      published: false,
      serverMuted: { audio: false, video: false },
    };
    this.byType.set(streamType, pub);
    const transport = this.current ?? (this.current = this.options.createTransport());
    stream.setConnectionState('CONNECTING');
    // Hooks at once: a track added or removed meanwhile is queued behind this negotiation.
    stream.setPublisher(this.hooks(pub, transport));
    let accepted = false;
    try {
      await this.serialized(async () => {
        this.assertLive(transport);
        for (const published of stream.getPublishTracks()) {
          const kind = published.kind as TrackKind;
          transport.addTrack(
            streamType,
            stream.getSendTrack(kind) ?? published,
            mediaStream,
            !stream.isMuted(kind),
            limits(stream, kind),
            this.small(stream, streamType, kind),
          );
          pub.kinds.add(kind);
        }
        if (pub.kinds.size === 0) {
          throw RtcError.invalidOperation('the stream has no audio or video track to publish');
        }
        await this.negotiate(transport);
        accepted = true;
      });
      await transport.waitConnected(this.options.connectTimeoutMs);
      this.assertLive(transport);
      await applyDegradation(stream, streamType, transport);
      pub.published = true;
      stream.setConnectionState('CONNECTED');
      // A mute toggled while publish() was in flight: bring sender and server up to date.
      for (const kind of pub.kinds) this.applyMute(pub, transport, kind);
    } catch (error) {
      this.rollBack(pub, transport, accepted);
      stream.setConnectionState('DISCONNECTED');
      throw error;
    }
  }

  /** Stops publishing `stream`; the other stream, if any, keeps flowing. */
  async unpublish(stream: LocalStream): Promise<void> {
    const streamType = this.typeOf(stream);
    const pub = streamType ? this.byType.get(streamType) : undefined;
    if (!pub || !streamType) throw RtcError.invalidOperation('this stream is not published');
    if (!pub.published) {
      throw RtcError.invalidOperation('publish() of this stream is still in progress');
    }
    this.byType.delete(streamType);
    stream.setPublisher(null);
    stream.setConnectionState('DISCONNECTED');
    const transport = this.current;
    if (this.byType.size === 0 || !transport) {
      this.current = null;
      const request = this.options.signal.request('unpublish', { streamType });
      // Media stops at once; the server's acknowledgement is only awaited for errors.
      transport?.close();
      await request;
      return;
    }
    // The media stops now; the m-lines go at the next negotiation, after the server has
    // removed the stream (a re-offer without them would otherwise remove it as an update).
    for (const kind of pub.kinds) {
      transport
        .setSending(streamType, kind, null)
        .catch((error: unknown) => log.warn(`stopping the ${streamType} ${kind} failed`, error));
    }
    try {
      await this.options.signal.request('unpublish', { streamType });
    } finally {
      // Even when the server's answer failed: the m-lines must go, or the next publish of
      // this stream type finds its slots taken and every re-offer lists a ghost stream.
      await this.serialized(async () => {
        this.assertLive(transport);
        for (const kind of pub.kinds) transport.removeTrack(streamType, kind);
        await this.negotiate(transport);
      });
    }
  }

  /**
   * The server lost the publisher connection's media: publish every published stream again
   * on a new connection (same streams, same mute state); the others see no change.
   */
  restart(): Promise<void> {
    return this.serialized(async () => {
      const old = this.current;
      if (!old || this.options.ended()) return;
      const pubs = [...this.byType.values()].filter((p) => p.published);
      const transport = this.options.createTransport();
      this.current = transport;
      old.close();
      for (const pub of pubs) {
        const { stream, streamType } = pub;
        const mediaStream = stream.getMediaStream();
        stream.setPublisher(this.hooks(pub, transport));
        stream.setConnectionState('RECONNECTING');
        if (!mediaStream) continue;
        for (const kind of pub.kinds) {
          const track = stream.getSendTrack(kind);
          if (!track) continue;
          transport.addTrack(
            streamType,
            track,
            mediaStream,
            !stream.isMuted(kind),
            limits(stream, kind),
            // As it was published: dual stream cannot be turned on or off while published.
            this.small(stream, streamType, kind),
          );
        }
      }
      await this.negotiate(transport);
      await transport.waitConnected(this.options.connectTimeoutMs);
      for (const { stream, streamType } of pubs) {
        await applyDegradation(stream, streamType, transport);
      }
      log.info('published again on a new connection');
    });
  }

  /** The small stream profile changed: the published small encoding follows it. */
  applySmallStreamProfile(): void {
    const pub = this.byType.get('main');
    const transport = this.current;
    if (!pub || !transport || !transport.hasSmallStream('main')) return;
    const small = this.small(pub.stream, 'main', 'video');
    if (small) void transport.setSmallEncoding(small, 'main');
  }

  /** The small encoding of a main camera video while dual stream is on. */
  private small(
    stream: LocalStream,
    streamType: StreamType,
    kind: TrackKind,
  ): SmallEncoding | undefined {
    if (kind !== 'video' || streamType !== 'main' || stream.isScreen()) return undefined;
    const profile = this.options.smallStream();
    return profile ? smallEncoding(stream.getVideoProfile(), profile) : undefined;
  }

  /** Session over: the connection closes and every stream is released. */
  close(): void {
    this.current?.close();
    this.current = null;
    for (const pub of this.byType.values()) {
      pub.stream.setPublisher(null);
      pub.stream.setConnectionState('DISCONNECTED');
    }
    this.byType.clear();
  }

  /**
   * The publisher connection's state changed: each stream on it reports v4's stream
   * `connection-state-changed` (a broken path DISCONNECTED, CONNECTED again once it heals).
   */
  peerStateChanged(transport: PublisherTransport, state: RTCPeerConnectionState): void {
    if (transport !== this.current) return;
    for (const pub of this.byType.values()) {
      const next = streamState(pub.stream.getConnectionState(), state);
      // Before publish() resolves the stream stays CONNECTING (it sets CONNECTED itself).
      if (next && (pub.published || next !== 'CONNECTED')) pub.stream.setConnectionState(next);
    }
  }

  private hooks(pub: Publication, transport: PublisherTransport): LocalStreamPublisher {
    const { stream, streamType } = pub;
    // A hook that runs after the publication ended (unpublished, failed, session over) has
    // nothing to change: the stream's own track change stands.
    const live = (): boolean =>
      this.byType.get(streamType) === pub && !transport.closed && !this.options.ended();
    const renegotiate = (change: () => boolean): Promise<void> =>
      this.serialized(async () => {
        if (live() && change()) await this.negotiate(transport);
      });
    return {
      onLocalMuteChanged: (kind) => {
        if (pub.published && live()) this.applyMute(pub, transport, kind);
      },
      onProfileChanged: (kind) => {
        if (!pub.kinds.has(kind) || !live()) return;
        void transport.setEncodingLimits(kind, limits(stream, kind), streamType);
        const small = this.small(stream, streamType, kind);
        if (small) void transport.setSmallEncoding(small, streamType);
      },
      replaceTrack: async (kind, track) => {
        if (!pub.kinds.has(kind) || !live()) return;
        await transport.setSending(streamType, kind, stream.isMuted(kind) ? null : track);
      },
      addTrack: (added) =>
        renegotiate(() => {
          const kind = added.kind as TrackKind;
          const mediaStream = stream.getMediaStream();
          if (pub.kinds.has(kind) || !mediaStream) return false;
          const send = !stream.isMuted(kind);
          const small = this.small(stream, streamType, kind);
          const track = stream.getSendTrack(kind) ?? added;
          transport.addTrack(streamType, track, mediaStream, send, limits(stream, kind), small);
          pub.kinds.add(kind);
          return true;
        }),
      removeTrack: (kind) =>
        renegotiate(() => {
          if (!pub.kinds.has(kind)) return false;
          transport.removeTrack(streamType, kind);
          pub.kinds.delete(kind);
          return true;
        }),
    };
  }

  /**
   * Makes the sender follow the stream's mute state (a muted track sends nothing at all, not
   * black frames or silence) and tells the server, which stops forwarding it and tells the
   * others (mute-audio, mute-video).
   */
  private applyMute(pub: Publication, transport: PublisherTransport, kind: TrackKind): void {
    const { stream, streamType } = pub;
    const muted = stream.isMuted(kind);
    const track = stream.getSendTrack(kind);
    transport
      .setSending(streamType, kind, muted ? null : track)
      .catch((error: unknown) => log.warn(`could not ${muted ? 'mute' : 'unmute'} ${kind}`, error));
    if (pub.serverMuted[kind] === muted || this.options.ended()) return;
    pub.serverMuted[kind] = muted;
    this.options.signal
      .request('mute', { streamType, kind, muted })
      .catch((error: unknown) =>
        log.warn(`could not tell the server about ${muted ? 'muting' : 'unmuting'} ${kind}`, error),
      );
  }

  /** Restarts ICE on the publisher connection (its path broke or the network changed). */
  restartIce(): Promise<void> {
    return this.serialized(async () => {
      const transport = this.current;
      if (!transport || transport.closed || this.byType.size === 0) return;
      for (const pub of this.byType.values()) {
        if (pub.stream.getConnectionState() === 'DISCONNECTED') {
          pub.stream.setConnectionState('RECONNECTING');
        }
      }
      await this.negotiate(transport, true);
    });
  }

  /** One offer/answer round with the full map of what is published. */
  private async negotiate(transport: PublisherTransport, iceRestart = false): Promise<void> {
    const offer = await transport.createOffer({ iceRestart });
    this.assertLive(transport);
    const tracks = offer.tracks.map((t) => {
      const pub = this.byType.get(t.streamType);
      const muted = pub?.stream.isMuted(t.kind) ?? false;
      if (pub) pub.serverMuted[t.kind] = muted;
      return { mid: t.mid, kind: t.kind, streamType: t.streamType, muted };
    });
    // Sent at once, without waiting for ICE gathering: candidates trickle after it.
    const answer = await this.options.signal.request('publish', {
      sdp: offer.sdp,
      tracks,
      ...(iceRestart ? { iceRestart: true } : {}),
    });
    this.assertLive(transport);
    await transport.setAnswer(answer.sdp);
  }

  /** Runs `step` after every earlier negotiation step has finished (or failed). */
  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.chain.then(step, step);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** A failed publish leaves nothing behind: no transceivers, no server stream, no camera hook. */
  private rollBack(pub: Publication, transport: PublisherTransport, accepted: boolean): void {
    const { stream, streamType } = pub;
    if (this.byType.get(streamType) === pub) this.byType.delete(streamType);
    stream.setPublisher(null);
    const ended = this.options.ended();
    if (ended || transport.closed) return;
    if (accepted) {
      this.options.signal.request('unpublish', { streamType }).catch(() => undefined);
    }
    if (this.byType.size === 0) {
      transport.close();
      if (this.current === transport) this.current = null;
      return;
    }
    if (pub.kinds.size === 0) return;
    this.serialized(async () => {
      this.assertLive(transport);
      for (const kind of pub.kinds) transport.removeTrack(streamType, kind);
      await this.negotiate(transport);
    }).catch((error: unknown) => log.warn('removing a failed publication failed', error));
  }

  private assertLive(transport: PublisherTransport): void {
    const ended = this.options.ended();
    if (ended) throw ended;
    if (transport.closed) throw RtcError.invalidOperation('publish was cancelled');
  }
}

/**
 * A stream's state for its connection's `pc` state, or null for no change: v4 reports a
 * broken path as DISCONNECTED and the way back (ICE checking again) as RECONNECTING.
 */
function streamState(current: ConnectionState, pc: RTCPeerConnectionState): ConnectionState | null {
  switch (pc) {
    case 'connected':
      return 'CONNECTED';
    case 'disconnected':
    case 'failed':
      return 'DISCONNECTED';
    case 'new':
    case 'connecting':
      return current === 'CONNECTING' ? null : current === 'DISCONNECTED' ? 'RECONNECTING' : null;
    default:
      return null;
  }
}

/** A stream's degradationPreference (v5 qosPreference) on its video sender, if it has one. */
async function applyDegradation(
  stream: LocalStream,
  streamType: StreamType,
  transport: PublisherTransport,
): Promise<void> {
  const preference = stream.getDegradationPreference();
  if (preference && stream.getVideoTrack()) {
    await transport.setDegradationPreference(preference, streamType);
  }
}

/** The encoding caps of a stream's `kind` track, from its profiles. */
function limits(stream: LocalStream, kind: TrackKind): EncodingLimits {
  if (kind === 'audio') return { maxBitrate: stream.getAudioProfile().bitrate * 1000 };
  const video = stream.getVideoProfile();
  return { maxBitrate: video.bitrate * 1000, maxFramerate: video.frameRate };
}
