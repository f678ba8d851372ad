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
import { Privilege, has, receiveBit, sendBit } from './privileges.js';
import type { MediaConsumer, MediaProducer, MediaTransport } from '../media/MediaEngine.js';
import type { SubscriberTransport } from '../transport/SubscriberTransport.js';
import type { MessageSink } from './MessageSink.js';

export interface PublishedTrack {
  /** Its m-line in the publisher's SDP: a re-offer that no longer lists it removes it. */
  mid: string;
  muted: boolean;
  /** Null while the track is being restored (its media worker was lost; the client republishes). */
  producer: MediaProducer | null;
  /** Simulcast encodings it is sent as (smallest first): 2 or more means a small stream. */
  layers: number;
  /**
   * A later privateMapKey withdrew the right to send it: nobody receives it nor is told of it
   * until a key grants the bit again. (The client keeps publishing; nothing is forwarded.)
   */
  withheld: boolean;
  /**
   * A member on another node: the id of its producer there, which `producer` relays here once
   * the pipe is up (null while that node has none: being restored, or the node was lost).
   */
  remoteProducerId?: string | null;
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
  /** Its client, while connected; null while its socket is gone (it may resume) and after it left. */
  sink: MessageSink | null = null;
  /** When the participant last showed a sign of life, while its socket is gone. */
  disconnectedAt: number | null = null;
  /** Set once it has left the room (for whatever reason). */
  left = false;
  /** Version of the last publish answer (SDP o= line). */
  publishVersion = 0;
  /**
   * Cluster: the node whose client this is; null for this node's own clients. A member of
   * another node is a mirror: no sink, its streams relayed here by pipe.
   */
  node: string | null = null;
  /** Cluster: its session's epoch (a newer session of the userId wins over an older one). */
  epoch = 0;
  /**
   * privateMapKey privilege bits (see privileges.ts); every right when the user joined without
   * a key and none was required.
   */
  privilege: number = Privilege.ALL;
  /**
   * What this participant has been told of each other user's stream (by subscriptionKey), as
   * last sent: the room compares against it to send stream-added/updated/removed only when
   * this participant's view of a stream changed.
   */
  readonly announced = new Map<string, StreamInfo>();

  constructor(
    readonly userId: string,
    public role: Role,
    readonly sessionId: string,
    readonly resumeToken: string,
    readonly autoSubscribe: boolean,
    /** 'live' rooms have roles (anchor/audience); in 'rtc' everyone is an anchor. */
    readonly mode: 'rtc' | 'live' = 'rtc',
  ) {}

  /** This node's own client (not a mirror of another node's member). */
  get local(): boolean {
    return this.node === null;
  }

  /** Audience members in live mode are invisible to others. */
  get visible(): boolean {
    return this.role === 'anchor';
  }

  canSend(streamType: StreamType, kind: TrackKind): boolean {
    return has(this.privilege, sendBit(streamType, kind));
  }

  canReceive(streamType: StreamType, kind: TrackKind): boolean {
    return has(this.privilege, receiveBit(streamType, kind));
  }

  /** The stream as the others may know it: withheld tracks left out; null when none is left. */
  streamInfo(type: StreamType): StreamInfo | null {
    return this.viewFor(null, type);
  }

  /**
   * The stream as `viewer` may know it: only the tracks it may receive (all of them for
   * null); null when that leaves none, so such a stream is not announced to it at all.
   */
  viewFor(viewer: Participant | null, type: StreamType): StreamInfo | null {
    const stream = this.streams.get(type);
    if (!stream) return null;
    const visible = (kind: TrackKind) => {
      const track = stream.tracks.get(kind);
      return track && !track.withheld && (viewer === null || viewer.canReceive(type, kind))
        ? track
        : undefined;
    };
    const audio = visible('audio');
    const video = visible('video');
    if (!audio && !video) return null;
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

  /** This participant as `viewer` may know it (see viewFor); null: as the room sees it. */
  info(viewer: Participant | null = null): ParticipantInfo {
    const streams: StreamInfo[] = [];
    for (const type of this.streams.keys()) {
      const info = this.viewFor(viewer, type);
      if (info) streams.push(info);
    }
    return { userId: this.userId, role: this.role, streams };
  }
}
