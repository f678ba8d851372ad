/**
 * The RemoteStream objects of one session and the tracks the subscriber connection receives
 * for them. Tracks are kept per (userId, streamType) independently of the objects: media
 * may arrive before `stream-added` (autoSubscribe races the notification), and a stream
 * that is unpublished and published again gets a new object but may keep its transceivers.
 */
import type { StreamInfo, SubscribedTrack, TrackKind } from '@parley/protocol';
import { RemoteStream } from '../stream/RemoteStream.js';
import { streamKey } from './RoomState.js';

type Tracks = Partial<Record<TrackKind, MediaStreamTrack>>;

export class RemoteStreams {
  private readonly streams = new Map<string, RemoteStream>();
  private readonly received = new Map<string, Tracks>();

  get(key: string): RemoteStream | undefined {
    return this.streams.get(key);
  }

  /** Whether `stream` is the live object for its key (not removed, not from an old session). */
  isCurrent(stream: RemoteStream): boolean {
    return this.streams.get(streamKey(stream.getUserId(), stream.getType())) === stream;
  }

  all(): RemoteStream[] {
    return [...this.streams.values()];
  }

  /** A new object for a published stream, with whatever media already arrived for it. */
  create(info: StreamInfo): RemoteStream {
    const key = streamKey(info.userId, info.streamType);
    const stream = new RemoteStream(info);
    this.streams.set(key, stream);
    const tracks = this.received.get(key);
    if (tracks?.audio) stream.setRemoteTrack('audio', tracks.audio);
    if (tracks?.video) stream.setRemoteTrack('video', tracks.video);
    return stream;
  }

  /** Forgets the object (its player stops); returns it for the `stream-removed` event. */
  remove(key: string): RemoteStream | undefined {
    const stream = this.streams.get(key);
    if (!stream) return undefined;
    this.streams.delete(key);
    stream.markRemoved();
    return stream;
  }

  /** A track for `info`; returns the stream it was put on, if that stream exists yet. */
  addTrack(info: SubscribedTrack, track: MediaStreamTrack): RemoteStream | undefined {
    const key = streamKey(info.userId, info.streamType);
    this.received.set(key, { ...this.received.get(key), [info.kind]: track });
    const stream = this.streams.get(key);
    stream?.setRemoteTrack(info.kind, track);
    return stream;
  }

  /** The track bound to `info` stopped; returns the stream it was taken from. */
  removeTrack(info: SubscribedTrack, track: MediaStreamTrack): RemoteStream | undefined {
    const key = streamKey(info.userId, info.streamType);
    const tracks = this.received.get(key);
    if (tracks?.[info.kind] === track) {
      delete tracks[info.kind];
      if (!tracks.audio && !tracks.video) this.received.delete(key);
    }
    const stream = this.streams.get(key);
    if (
      stream &&
      (info.kind === 'audio' ? stream.getAudioTrack() : stream.getVideoTrack()) === track
    ) {
      stream.setRemoteTrack(info.kind, null);
      return stream;
    }
    return undefined;
  }

  /** Session over: every object is removed (players stop), every track forgotten. */
  clear(): void {
    for (const stream of this.streams.values()) stream.markRemoved();
    this.streams.clear();
    this.received.clear();
  }
}
