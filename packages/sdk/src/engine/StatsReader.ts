/**
 * The Client's stats APIs (getTransportStats, getLocal/RemoteAudio/VideoStats) over one
 * session: reads both peer connections' getStats() and hands the entries to stats.ts.
 * Remote streams are matched to users through the subscriber connection's mid map.
 */
import type { StreamType, TrackKind, VideoLayer } from '@parley/protocol';
import { streamKey } from './RoomState.js';
import type { Session } from './Session.js';
import {
  candidatePairRttMs,
  entries,
  localAudioStats,
  localVideoStats,
  outboundOf,
  ownedInbound,
  remoteAudioStats,
  remoteInboundRttMs,
  remoteVideoStats,
  type LocalAudioStats,
  type LocalVideoStats,
  type OwnedInbound,
  type RemoteAudioStats,
  type RemoteOwner,
  type RemoteVideoStats,
  type Stat,
  type TransportStats,
  withVideoLayers,
} from './stats.js';

/** The layer list is an extra: a slow answer must not hold the stats back long. */
const LAYERS_TIMEOUT_MS = 2000;

export class StatsReader {
  constructor(private readonly session: Session) {}

  get userId(): string {
    return this.session.joinData.userId;
  }

  async publisherStats(): Promise<Stat[]> {
    return entries((await this.session.publisher?.getStats().catch(() => null)) ?? null);
  }

  async subscriberStats(): Promise<Stat[]> {
    return entries(await this.session.subscriber.getStats().catch(() => null));
  }

  /** The inbound streams of the subscriber connection, with who sends them. */
  inbound(stats: readonly Stat[]): OwnedInbound[] {
    return ownedInbound(
      stats,
      (mid) => this.session.subscriber.ownerOfMid(mid),
      (trackId) => this.ownerOfTrack(trackId),
    );
  }

  /** The main stream's outbound streams of `kind`. */
  mainOutbound(stats: readonly Stat[], kind: TrackKind): Stat[] {
    const stream = this.session.published;
    if (!stream) return [];
    const ids = new Set<string>();
    for (const track of [stream.getAudioTrack(), stream.getVideoTrack()]) {
      if (track) ids.add(track.id);
    }
    return outboundOf(stats, kind, ids, this.session.publishedStreams().length <= 1);
  }

  async transportStats(): Promise<TransportStats> {
    const [up, down] = await Promise.all([this.publisherStats(), this.subscriberStats()]);
    const downRtt = candidatePairRttMs(down);
    const rtt = remoteInboundRttMs(up) ?? candidatePairRttMs(up) ?? downRtt ?? 0;
    const downlinksRTT: Record<string, number> = {};
    if (downRtt !== undefined) {
      for (const { owner } of this.inbound(down)) downlinksRTT[owner.userId] = Math.round(downRtt);
    }
    return { rtt: Math.round(rtt), downlinksRTT };
  }

  async localAudioStats(): Promise<Record<string, LocalAudioStats>> {
    const stats = await this.publisherStats();
    const outbound = this.mainOutbound(stats, 'audio');
    return outbound.length ? { [this.userId]: localAudioStats(stats, outbound) } : {};
  }

  async localVideoStats(): Promise<Record<string, LocalVideoStats>> {
    const stats = await this.publisherStats();
    const outbound = this.mainOutbound(stats, 'video');
    return outbound.length ? { [this.userId]: localVideoStats(stats, outbound) } : {};
  }

  async remoteAudioStats(): Promise<Record<string, RemoteAudioStats>> {
    const result: Record<string, RemoteAudioStats> = {};
    for (const { owner, kind, stat } of this.inbound(await this.subscriberStats())) {
      if (kind === 'audio' && owner.streamType === 'main' && this.isCurrent(owner)) {
        result[owner.userId] = remoteAudioStats(stat);
      }
    }
    return result;
  }

  async remoteVideoStats(streamType: StreamType): Promise<Record<string, RemoteVideoStats>> {
    const [stats, layers] = await Promise.all([this.subscriberStats(), this.videoLayers()]);
    const result: Record<string, RemoteVideoStats> = {};
    for (const { owner, kind, stat } of this.inbound(stats)) {
      if (kind === 'video' && owner.streamType === streamType && this.isCurrent(owner)) {
        result[owner.userId] = remoteVideoStats(stat);
      }
    }
    return withVideoLayers(result, layers, streamType);
  }

  /** What the server sends us of each dual stream video and why; none while it cannot say. */
  private async videoLayers(): Promise<VideoLayer[]> {
    const signal = this.session.signal;
    if (signal.state !== 'open') return [];
    try {
      const answer = await signal.request('video-layers', {}, { timeoutMs: LAYERS_TIMEOUT_MS });
      return answer.layers;
    } catch {
      return [];
    }
  }

  /** A stream the app knows (not an m-line left over from an unpublished one). */
  private isCurrent(owner: RemoteOwner): boolean {
    return this.session.streams.get(streamKey(owner.userId, owner.streamType)) !== undefined;
  }

  private ownerOfTrack(trackId: string): RemoteOwner | undefined {
    for (const stream of this.session.streams.all()) {
      if (stream.getAudioTrack()?.id === trackId || stream.getVideoTrack()?.id === trackId) {
        return { userId: stream.getUserId(), streamType: stream.getType() };
      }
    }
    return undefined;
  }
}
