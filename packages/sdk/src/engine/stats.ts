/**
 * Reading RTCPeerConnection.getStats() reports into TRTC v4's stats shapes. Pure functions
 * over the report's entries, so they are tested without a browser; StatsReader feeds them.
 */
import type { StreamType, TrackKind, VideoLayer, VideoLayerReason } from '@parley/protocol';

/** One entry of an RTCStatsReport (the W3C stats dictionaries are plain objects). */
export type Stat = { readonly id: string; readonly type: string } & Readonly<
  Record<string, unknown>
>;

/** `getTransportStats()`: round-trip times in ms. */
export interface TransportStats {
  /** Uplink: to the server over the publishing connection (or the subscribing one). */
  rtt: number;
  /** Per remote user we receive from: the round trip of the connection carrying them. */
  downlinksRTT: Record<string, number>;
}

export interface LocalAudioStats {
  bytesSent: number;
  packetsSent: number;
  /** As the server reports it in RTCP receiver reports. */
  packetsLost: number;
}

export interface LocalVideoStats extends LocalAudioStats {
  framesEncoded: number;
  framesSent: number;
  frameWidth: number;
  frameHeight: number;
}

export interface RemoteAudioStats {
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}

export interface RemoteVideoStats extends RemoteAudioStats {
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  /**
   * Parley: of a dual stream publisher, the stream the server sends us now, and why (`app`:
   * the one asked for with setRemoteVideoStreamType, big by default; `estimate`: a smaller
   * one, our downlink estimate does not cover it; `hold`: a smaller one kept after a
   * sustained shortfall until the path shows room). Absent for single-stream publishers.
   */
  layer?: 'big' | 'small';
  layerReason?: VideoLayerReason;
}

/** Who an inbound stream belongs to. */
export interface RemoteOwner {
  userId: string;
  streamType: StreamType;
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function entries(report: { forEach(cb: (stat: Stat) => void): void } | null): Stat[] {
  const list: Stat[] = [];
  report?.forEach((stat) => list.push(stat));
  return list;
}

/**
 * The round trip (ms) of the candidate pair in use: the transport's selected pair, else a
 * nominated succeeded one. `currentRoundTripTime` comes from the latest ICE check; before
 * there is one, the average over all checks.
 */
export function candidatePairRttMs(stats: readonly Stat[]): number | undefined {
  const transport = stats.find(
    (s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string',
  );
  let pair = transport ? stats.find((s) => s.id === transport.selectedCandidatePairId) : undefined;
  pair ??= stats.find(
    (s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded',
  );
  if (!pair) return undefined;
  if (typeof pair.currentRoundTripTime === 'number') return pair.currentRoundTripTime * 1000;
  const responses = num(pair.responsesReceived);
  return responses > 0 ? (num(pair.totalRoundTripTime) / responses) * 1000 : undefined;
}

/** The RTCP round trip (ms) the server's receiver reports give for what we send. */
export function remoteInboundRttMs(stats: readonly Stat[]): number | undefined {
  const rtts = stats
    .filter((s) => s.type === 'remote-inbound-rtp' && typeof s.roundTripTime === 'number')
    .map((s) => num(s.roundTripTime) * 1000);
  return rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : undefined;
}

function trackIdOfSource(stats: readonly Stat[], outbound: Stat): string | undefined {
  const source = stats.find((s) => s.id === outbound.mediaSourceId);
  return typeof source?.trackIdentifier === 'string' ? source.trackIdentifier : undefined;
}

/**
 * The outbound streams sending `kind` for a local stream: those whose media source is one of
 * `trackIds`; when none matches (a muted track is detached from its sender) and `fallback`
 * says no other stream shares the connection, every outbound stream of that kind.
 */
export function outboundOf(
  stats: readonly Stat[],
  kind: TrackKind,
  trackIds: ReadonlySet<string>,
  fallback: boolean,
): Stat[] {
  const ofKind = stats.filter((s) => s.type === 'outbound-rtp' && s.kind === kind);
  const matched = ofKind.filter((s) => {
    const id = trackIdOfSource(stats, s);
    return id !== undefined && trackIds.has(id);
  });
  return matched.length > 0 || !fallback ? matched : ofKind;
}

function lostFor(stats: readonly Stat[], outbound: readonly Stat[]): number {
  const ids = new Set(outbound.map((s) => s.id));
  return stats
    .filter((s) => s.type === 'remote-inbound-rtp' && ids.has(String(s.localId)))
    .reduce((sum, s) => sum + Math.max(0, num(s.packetsLost)), 0);
}

export function localAudioStats(
  stats: readonly Stat[],
  outbound: readonly Stat[],
): LocalAudioStats {
  return {
    bytesSent: outbound.reduce((sum, s) => sum + num(s.bytesSent), 0),
    packetsSent: outbound.reduce((sum, s) => sum + num(s.packetsSent), 0),
    packetsLost: lostFor(stats, outbound),
  };
}

export function localVideoStats(
  stats: readonly Stat[],
  outbound: readonly Stat[],
): LocalVideoStats {
  // The largest layer gives the resolution (one layer today; simulcast would add more).
  const top = [...outbound].sort((a, b) => num(b.frameWidth) - num(a.frameWidth))[0];
  return {
    ...localAudioStats(stats, outbound),
    framesEncoded: outbound.reduce((sum, s) => sum + num(s.framesEncoded), 0),
    framesSent: outbound.reduce((sum, s) => sum + num(s.framesSent), 0),
    frameWidth: num(top?.frameWidth),
    frameHeight: num(top?.frameHeight),
  };
}

/** An inbound stream with its owner, for the remote stats and audio volume. */
export interface OwnedInbound {
  owner: RemoteOwner;
  kind: TrackKind;
  stat: Stat;
}

/**
 * Inbound streams with their owners: by the stat's `mid` through the subscriber's mid map,
 * else by the received track's id (older browsers have no `mid` in stats).
 */
export function ownedInbound(
  stats: readonly Stat[],
  ownerOfMid: (mid: string) => RemoteOwner | undefined,
  ownerOfTrack: (trackId: string) => RemoteOwner | undefined,
): OwnedInbound[] {
  const list: OwnedInbound[] = [];
  for (const stat of stats) {
    if (stat.type !== 'inbound-rtp' || (stat.kind !== 'audio' && stat.kind !== 'video')) continue;
    const owner =
      (typeof stat.mid === 'string' ? ownerOfMid(stat.mid) : undefined) ??
      (typeof stat.trackIdentifier === 'string' ? ownerOfTrack(stat.trackIdentifier) : undefined);
    if (owner) list.push({ owner, kind: stat.kind, stat });
  }
  return list;
}

export function remoteAudioStats(stat: Stat): RemoteAudioStats {
  return {
    bytesReceived: num(stat.bytesReceived),
    packetsReceived: num(stat.packetsReceived),
    packetsLost: Math.max(0, num(stat.packetsLost)),
  };
}

export function remoteVideoStats(stat: Stat): RemoteVideoStats {
  return {
    ...remoteAudioStats(stat),
    framesDecoded: num(stat.framesDecoded),
    frameWidth: num(stat.frameWidth),
    frameHeight: num(stat.frameHeight),
  };
}

/**
 * Adds what the server says of the layers we get (`video-layers`) to the remote video stats
 * of `streamType`, by user: only for users already in `stats` (what we decode).
 */
export function withVideoLayers(
  stats: Record<string, RemoteVideoStats>,
  layers: readonly VideoLayer[],
  streamType: StreamType,
): Record<string, RemoteVideoStats> {
  for (const l of layers) {
    const entry = l.streamType === streamType ? stats[l.userId] : undefined;
    if (!entry || l.layer === null) continue;
    entry.layer = l.layer;
    entry.layerReason = l.reason;
  }
  return stats;
}

/** Energy counters of an audio stat (media-source or inbound-rtp). */
export interface EnergySample {
  energy: number;
  duration: number;
}

export function energyOf(stat: Stat): EnergySample | undefined {
  if (typeof stat.totalAudioEnergy !== 'number') return undefined;
  return { energy: num(stat.totalAudioEnergy), duration: num(stat.totalSamplesDuration) };
}

/**
 * The 0..100 volume over the interval between two samples: the RMS level (totalAudioEnergy
 * is the sum of level² × duration), times 100. Without a previous sample: since the start.
 */
export function volumeBetween(previous: EnergySample | undefined, now: EnergySample): number {
  const energy = now.energy - (previous?.energy ?? 0);
  const duration = now.duration - (previous?.duration ?? 0);
  if (duration <= 0 || energy <= 0) return 0;
  return Math.min(100, Math.round(Math.sqrt(energy / duration) * 100));
}
