/**
 * One user in a room: role, published streams with their media state flags, and what it
 * subscribes to. Domain state only; the Session drives it.
 */
import type { ParticipantInfo, Role, StreamInfo, StreamType, TrackKind } from '@parley/protocol';
import type { CodecInfo } from '../media/MediaEngine.js';
import type { SignalConnection } from '../signal/SignalConnection.js';
import type { SubscriberTransport } from '../transport/SubscriberTransport.js';

export interface PublishedTrack {
  /** Router source id (the engine's incoming track id). */
  sourceId: string;
  /** Its m-line in the publisher's SDP: a re-offer that no longer lists it removes it. */
  mid: string;
  codec: CodecInfo;
  muted: boolean;
}

export interface PublishedStream {
  type: StreamType;
  tracks: Map<TrackKind, PublishedTrack>;
}

export interface Subscription {
  userId: string;
  streamType: StreamType;
  audio: boolean;
  video: boolean;
  /** Router sink ids (= outgoing track ids) by kind. */
  sinks: Map<TrackKind, string>;
}

export const subscriptionKey = (userId: string, streamType: StreamType): string =>
  `${userId}/${streamType}`;

export class Participant {
  readonly streams = new Map<StreamType, PublishedStream>();
  readonly subscriptions = new Map<string, Subscription>();
  publisherTransportId: string | null = null;
  subscriber: SubscriberTransport | null = null;
  signal: SignalConnection | null = null;
  /** When the participant last showed a sign of life, while its socket is gone. */
  disconnectedAt: number | null = null;

  constructor(
    readonly userId: string,
    public role: Role,
    readonly sessionId: string,
    readonly resumeToken: string,
    readonly autoSubscribe: boolean,
    /** 'live' rooms have roles (anchor/audience); in 'rtc' everyone is an anchor. */
    readonly mode: 'rtc' | 'live' = 'rtc',
  ) {}

  /** Audience members in live mode are invisible to others. */
  get visible(): boolean {
    return this.role === 'anchor';
  }

  streamInfo(type: StreamType): StreamInfo | null {
    const stream = this.streams.get(type);
    if (!stream) return null;
    const audio = stream.tracks.get('audio');
    const video = stream.tracks.get('video');
    return {
      userId: this.userId,
      streamType: type,
      hasAudio: audio !== undefined,
      hasVideo: video !== undefined,
      audioMuted: audio?.muted ?? false,
      videoMuted: video?.muted ?? false,
      hasSmall: false,
    };
  }

  info(): ParticipantInfo {
    const streams: StreamInfo[] = [];
    for (const type of this.streams.keys()) {
      const info = this.streamInfo(type);
      if (info) streams.push(info);
    }
    return { userId: this.userId, role: this.role, streams };
  }
}
