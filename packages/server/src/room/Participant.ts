/**
 * One user in a room: role, published streams with their media state flags, what it
 * subscribes to, and its media transports. State only: the Room changes it, one operation at
 * a time.
 */
import type {
  ParticipantInfo,
  RemoteVideoType,
  Role,
  StreamInfo,
  StreamType,
  TrackKind,
} from '@parley/protocol';
import type { MediaConsumer, MediaProducer, MediaTransport } from '../media/MediaEngine.js';
import type { SignalConnection } from '../signal/SignalConnection.js';
import type { SubscriberTransport } from '../transport/SubscriberTransport.js';

export interface PublishedTrack {
  /** Its m-line in the publisher's SDP: a re-offer that no longer lists it removes it. */
  mid: string;
  muted: boolean;
  /** Null while the track is being restored (its media worker was lost; the client republishes). */
  producer: MediaProducer | null;
  /** Simulcast encodings it is sent as (smallest first): 2 or more means a small stream. */
  layers: number;
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
  consumers: Map<TrackKind, MediaConsumer>;
}

export const subscriptionKey = (userId: string, streamType: StreamType): string =>
  `${userId}/${streamType}`;

export class Participant {
  readonly streams = new Map<StreamType, PublishedStream>();
  readonly subscriptions = new Map<string, Subscription>();
  /** The video each subscription wants (`remote-video-type`), by subscription key; big if unset. */
  readonly videoTypes = new Map<string, RemoteVideoType>();
  publisher: MediaTransport | null = null;
  subscriber: SubscriberTransport | null = null;
  signal: SignalConnection | null = null;
  /** When the participant last showed a sign of life, while its socket is gone. */
  disconnectedAt: number | null = null;
  /** Set once it has left the room (for whatever reason). */
  left = false;
  /** Version of the last publish answer (SDP o= line). */
  publishVersion = 0;

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
      hasSmall: (video?.layers ?? 1) > 1,
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
