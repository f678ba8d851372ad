/**
 * Parley's own media types, shaped after mediasoup's model (producers, consumers, RTP
 * parameters) so the engine can pass them through, but owned here: rooms, SDP code and
 * tests import these, never an engine package. All plain data: serializable.
 */
import type { TrackKind } from '@parley/protocol';

export interface RtcpFeedback {
  type: string;
  parameter?: string;
}

/** A codec the router can carry. */
export interface CodecCapability {
  kind: TrackKind;
  mimeType: string;
  preferredPayloadType?: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
  rtcpFeedback?: RtcpFeedback[];
}

export interface HeaderExtensionCapability {
  kind: TrackKind;
  uri: string;
  preferredId: number;
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export interface RtpCapabilities {
  codecs: CodecCapability[];
  headerExtensions: HeaderExtensionCapability[];
}

/** A codec as negotiated on one m-line. */
export interface RtpCodec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
  rtcpFeedback?: RtcpFeedback[];
}

export interface RtpHeaderExtension {
  uri: string;
  id: number;
}

export interface RtpEncoding {
  ssrc?: number;
  rid?: string;
  rtx?: { ssrc: number };
  maxBitrate?: number;
  scalabilityMode?: string;
}

export interface RtpParameters {
  mid?: string;
  codecs: RtpCodec[];
  headerExtensions: RtpHeaderExtension[];
  encodings: RtpEncoding[];
  rtcp: { cname?: string; reducedSize?: boolean };
}

export interface IceParameters {
  usernameFragment: string;
  password: string;
  iceLite?: boolean;
}

export interface IceCandidate {
  foundation: string;
  priority: number;
  address: string;
  protocol: 'udp' | 'tcp';
  port: number;
  type: 'host';
  tcpType?: 'passive';
}

export interface DtlsFingerprint {
  algorithm: string;
  value: string;
}

export interface DtlsParameters {
  role?: 'auto' | 'client' | 'server';
  fingerprints: DtlsFingerprint[];
}

export type TransportState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** Why an engine object closed: asked to, its parent closed, or its worker died. */
export type CloseReason = 'closed' | 'parent-closed' | 'worker-died';

/** Counters of one RTP stream, summed over its layers. */
export interface RtpStreamStats {
  packets: number;
  bytes: number;
  packetsLost: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
  /** bits per second, as the engine measures it */
  bitrate: number;
  /** 0–10, the engine's quality score */
  score: number;
  /** Round trip to the remote end, ms, from RTCP (sending streams; absent until measured). */
  roundTripTime?: number;
}
