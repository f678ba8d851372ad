/**
 * The media engine: ICE, DTLS, SRTP and SDP, nothing else. Parley's routing logic
 * (who receives what, keyframes, sequence rewriting) lives in `routing/` and only sees
 * this interface, so the engine can be swapped (werift today, libdatachannel later) or
 * moved behind a worker-thread channel: control calls are async, id-based and take
 * plain serializable arguments. Only the packet path (`onRtp`/`sendRtp`) is in-process.
 */
import type { IceCandidateInit, TrackKind } from '@parley/protocol';
import type { TypedEmitter } from '../util/TypedEmitter.js';

/** One RTP packet. Engines pass their own packet objects; the router only uses these fields. */
export interface RtpPacketLike {
  header: {
    payloadType: number;
    sequenceNumber: number;
    timestamp: number;
    ssrc: number;
    marker: boolean;
  };
  payload: Buffer;
}

/** A codec as negotiated, in SDP terms. */
export interface CodecInfo {
  mimeType: string;
  clockRate: number;
  channels?: number;
  /** fmtp line, e.g. H264 profile-level-id. */
  parameters?: string;
}

export type TransportRole = 'publisher' | 'subscriber';
export type TransportState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** A track the client sends us, announced after its offer is accepted. */
export interface IncomingTrack {
  trackId: string;
  mid: string;
  kind: TrackKind;
  codec: CodecInfo;
}

export interface MediaEngineEvents {
  /** A local ICE candidate to trickle to the client. */
  candidate: [transportId: string, candidate: IceCandidateInit];
  transportstate: [transportId: string, state: TransportState];
  /** The subscriber asked for a keyframe on an outgoing track (PLI/FIR). */
  keyframerequest: [outTrackId: string];
}

export interface MediaEngine extends TypedEmitter<MediaEngineEvents> {
  readonly name: string;
  /** Transports open now (metrics, leak checks). */
  readonly transportCount: number;
  createTransport(transportId: string, role: TransportRole): Promise<void>;
  closeTransport(transportId: string): Promise<void>;
  addRemoteCandidate(transportId: string, candidate: IceCandidateInit): Promise<void>;

  /** Publisher side: accept the client's offer; returns the answer and the tracks it carries. */
  acceptOffer(transportId: string, sdp: string): Promise<{ sdp: string; tracks: IncomingTrack[] }>;

  /** Subscriber side: add an outgoing track (reusing a free m-line when there is one). */
  addOutgoingTrack(
    transportId: string,
    outTrackId: string,
    kind: TrackKind,
    codec: CodecInfo,
  ): Promise<void>;
  removeOutgoingTrack(transportId: string, outTrackId: string): Promise<void>;
  /** Creates and applies the next offer; `mids` maps each outgoing track to its m-line. */
  createOffer(transportId: string): Promise<{ sdp: string; mids: Record<string, string> }>;
  acceptAnswer(transportId: string, sdp: string): Promise<void>;

  /** Packets of an incoming track. Returns an unsubscribe function. */
  onRtp(trackId: string, listener: (packet: RtpPacketLike) => void): () => void;
  /** Sends a packet on an outgoing track; dropped while its transport is not connected. */
  sendRtp(outTrackId: string, packet: RtpPacketLike): void;
  /** Asks the publisher of an incoming track for a keyframe (PLI). */
  requestKeyframe(trackId: string): void;
}
