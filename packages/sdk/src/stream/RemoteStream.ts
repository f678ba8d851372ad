/**
 * A stream another user publishes, as this client sees it: the server's flags (hasAudio,
 * muted, ...) and, once media is pulled, the received tracks. Created by the Client from
 * `stream-added`; `subscribe()` it, then `play()` it on `stream-subscribed`.
 */
import type { StreamInfo, StreamType, TrackKind } from '@parley/protocol';
import { Stream } from './Stream.js';

export class RemoteStream extends Stream {
  private info: StreamInfo;
  private removed = false;

  /** @internal Created by the Client. */
  constructor(info: StreamInfo) {
    super(info.userId);
    this.info = { ...info };
  }

  /** 'main' (camera/microphone) or 'auxiliary' (screen share). */
  getType(): StreamType {
    return this.info.streamType;
  }

  /** Whether the remote user publishes audio in this stream. */
  hasAudio(): boolean {
    return this.info.hasAudio;
  }

  /** Whether the remote user publishes video in this stream. */
  hasVideo(): boolean {
    return this.info.hasVideo;
  }

  /** @internal The server's flags. */
  getInfo(): StreamInfo {
    return { ...this.info };
  }

  /** @internal */
  setInfo(info: StreamInfo): void {
    this.info = { ...info };
  }

  /** @internal A received track for this stream (null: it is gone). */
  setRemoteTrack(kind: TrackKind, track: MediaStreamTrack | null): void {
    this.setTrack(kind, track);
  }

  /** @internal The stream was unpublished or the session ended. */
  markRemoved(): void {
    this.removed = true;
    this.close();
    this.setTrack('audio', null);
    this.setTrack('video', null);
  }

  /** @internal */
  isRemoved(): boolean {
    return this.removed;
  }

  protected override isLocal(): boolean {
    return false;
  }

  protected override isAudioSilent(): boolean {
    return this.info.audioMuted;
  }
}
