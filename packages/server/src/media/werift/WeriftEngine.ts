/**
 * MediaEngine on werift (pure TypeScript WebRTC). Known pitfalls handled here:
 * - its default ICE server is a public STUN host that stalls offline: we always pass our list;
 * - it advertises REMB but never sends it, and its transport-cc leaves Chrome near 300 kbps:
 *   congestion control will be ours (not yet: the publisher's own loss-based estimate rules);
 * - header-extension ids are not remapped between peers: we negotiate none and the router
 *   strips them from forwarded packets.
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useH264,
  useOPUS,
  useVP8,
  type MediaStreamTrack,
  type RTCRtpTransceiver,
} from 'werift';
import type { IceCandidateInit, TrackKind } from '@parley/protocol';
import { SafeEmitter } from '../../util/TypedEmitter.js';
import type {
  CodecInfo,
  IncomingTrack,
  MediaEngine,
  MediaEngineEvents,
  RtpPacketLike,
  TransportRole,
  TransportState,
} from '../MediaEngine.js';
import { isMdnsCandidate, rewriteCandidateAddress, stripMdnsCandidates } from './candidates.js';

export interface WeriftEngineOptions {
  /** ICE servers for the server side; empty by default (no STUN, no stalls offline). */
  iceServers?: { urls: string; username?: string; credential?: string }[];
  /** UDP port range for ICE, inclusive. */
  portRange?: [number, number];
  /** Address put in our ICE candidates instead of the interface address (NAT, containers). */
  announcedIp?: string;
  /** Also offer candidates on these local addresses (werift skips loopback by default). */
  additionalHostAddresses?: string[];
  /** Run ICE-lite (default false, see createTransport). */
  iceLite?: boolean;
}

interface Incoming {
  track?: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
  ssrc?: number;
  listeners: Set<(packet: RtpPacketLike) => void>;
  pendingKeyframeRequest: boolean;
  unsubscribe?: () => void;
}

interface Outgoing {
  transceiver: RTCRtpTransceiver;
  unsubscribe: () => void;
}

/** When a transceiver's outgoing track was removed, for timestamp continuity on reuse. */
const freedAt = new WeakMap<RTCRtpTransceiver, number>();

interface Transport {
  pc: RTCPeerConnection;
  role: TransportRole;
  incoming: Map<string, Incoming>;
  outgoing: Map<string, Outgoing>;
  /** Transceivers whose outgoing track was removed, ready for reuse. */
  free: RTCRtpTransceiver[];
  /** Remote candidates added so far (capped). */
  remoteCandidates: number;
}

const MAX_REMOTE_CANDIDATES = 32;

const codecsFor = () => ({
  audio: [useOPUS()],
  // VP8 first: every browser decodes it; H264 when the publisher offers no VP8.
  video: [useVP8(), useH264()],
});

function codecInfo(codec: RTCRtpCodecParameters): CodecInfo {
  return {
    mimeType: codec.mimeType,
    clockRate: codec.clockRate,
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    ...(codec.parameters !== undefined ? { parameters: codec.parameters } : {}),
  };
}

function mapState(state: string): TransportState {
  switch (state) {
    case 'new':
    case 'connecting':
    case 'connected':
    case 'disconnected':
    case 'failed':
    case 'closed':
      return state;
    default:
      return 'new';
  }
}

export class WeriftEngine extends SafeEmitter<MediaEngineEvents> implements MediaEngine {
  readonly name = 'werift';
  readonly #transports = new Map<string, Transport>();
  /** trackId → transport id, for the packet path. */
  readonly #incomingIndex = new Map<string, { transportId: string; incoming: Incoming }>();
  readonly #outgoingIndex = new Map<string, Outgoing>();

  constructor(private readonly options: WeriftEngineOptions = {}) {
    super();
  }

  get transportCount(): number {
    return this.#transports.size;
  }

  #get(transportId: string): Transport {
    const transport = this.#transports.get(transportId);
    if (!transport) throw new Error(`unknown transport ${transportId}`);
    return transport;
  }

  async createTransport(transportId: string, role: TransportRole): Promise<void> {
    if (this.#transports.has(transportId)) throw new Error(`transport ${transportId} exists`);
    const pc = new RTCPeerConnection({
      codecs: codecsFor(),
      headerExtensions: { audio: [], video: [] },
      iceServers: this.options.iceServers ?? [],
      icePortRange: this.options.portRange,
      iceAdditionalHostAddresses: this.options.additionalHostAddresses,
      iceUseIpv6: false,
      // werift's ICE-lite completes ICE but never starts DTLS (measured with Chromium 156), so
      // full ICE stays the default.
      iceLite: this.options.iceLite ?? false,
      bundlePolicy: 'max-bundle',
    });
    const transport: Transport = {
      pc,
      role,
      incoming: new Map(),
      outgoing: new Map(),
      free: [],
      remoteCandidates: 0,
    };
    this.#transports.set(transportId, transport);
    const announcedIp = this.options.announcedIp;
    const seen = new Set<string>();
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) return;
      const init = candidate.toJSON();
      const line = announcedIp
        ? rewriteCandidateAddress(init.candidate, announcedIp)
        : init.candidate;
      // Announcing one IP for every interface yields duplicates; send each once.
      if (seen.has(line)) return;
      seen.add(line);
      this.safeEmit('candidate', transportId, {
        candidate: line,
        sdpMid: init.sdpMid ?? null,
        sdpMLineIndex: init.sdpMLineIndex ?? null,
      });
    });
    pc.connectionStateChange.subscribe((state) => {
      this.safeEmit('transportstate', transportId, mapState(state));
    });
  }

  async closeTransport(transportId: string): Promise<void> {
    const transport = this.#transports.get(transportId);
    if (!transport) return;
    this.#transports.delete(transportId);
    for (const [trackId, incoming] of transport.incoming) {
      incoming.unsubscribe?.();
      incoming.listeners.clear();
      this.#incomingIndex.delete(trackId);
    }
    for (const [outTrackId, outgoing] of transport.outgoing) {
      outgoing.unsubscribe();
      this.#outgoingIndex.delete(outTrackId);
    }
    await transport.pc.close().catch(() => undefined);
  }

  async addRemoteCandidate(transportId: string, candidate: IceCandidateInit): Promise<void> {
    const transport = this.#get(transportId);
    // Browsers hide host addresses behind mDNS names we cannot resolve; the peer-reflexive
    // candidate learned from their connectivity checks covers those.
    if (isMdnsCandidate(candidate.candidate)) return;
    // A browser gathers a handful; more is a client making us check arbitrary addresses.
    if (++transport.remoteCandidates > MAX_REMOTE_CANDIDATES) return;
    if (candidate.candidate === '') return;
    await transport.pc.addIceCandidate({
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? undefined,
      sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
    });
  }

  async acceptOffer(
    transportId: string,
    sdp: string,
  ): Promise<{ sdp: string; tracks: IncomingTrack[] }> {
    const transport = this.#get(transportId);
    if (transport.role !== 'publisher') throw new Error('acceptOffer on a subscriber transport');
    const { pc } = transport;
    await pc.setRemoteDescription({ type: 'offer', sdp: stripMdnsCandidates(sdp) });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    const tracks: IncomingTrack[] = [];
    for (const transceiver of pc.getTransceivers()) {
      const mid = transceiver.mid;
      const codec = transceiver.codecs[0];
      if (!mid || !codec || transceiver.currentDirection === 'inactive') continue;
      const trackId = `${transportId}:${mid}`;
      if (transport.incoming.has(trackId)) continue;
      const incoming: Incoming = {
        transceiver,
        listeners: new Set(),
        pendingKeyframeRequest: false,
      };
      transport.incoming.set(trackId, incoming);
      this.#incomingIndex.set(trackId, { transportId, incoming });
      const attach = (track: MediaStreamTrack) => {
        if (incoming.track) return;
        incoming.track = track;
        const { unSubscribe } = track.onReceiveRtp.subscribe((packet: RtpPacket) => {
          if (incoming.ssrc === undefined) {
            incoming.ssrc = packet.header.ssrc;
            if (incoming.pendingKeyframeRequest) this.requestKeyframe(trackId);
          }
          for (const listener of incoming.listeners) listener(packet);
        });
        incoming.unsubscribe = unSubscribe;
      };
      const existing = transceiver.receiver.tracks[0];
      if (existing) attach(existing);
      else transceiver.onTrack.subscribe((track) => attach(track));
      tracks.push({ trackId, mid, kind: transceiver.kind as TrackKind, codec: codecInfo(codec) });
    }
    const local = pc.localDescription;
    if (!local) throw new Error('no local description after answer');
    return { sdp: local.sdp, tracks };
  }

  async addOutgoingTrack(
    transportId: string,
    outTrackId: string,
    kind: TrackKind,
    codec: CodecInfo,
  ): Promise<void> {
    const transport = this.#get(transportId);
    if (transport.role !== 'subscriber') throw new Error('addOutgoingTrack on a publisher');
    const index = transport.free.findIndex((t) => t.kind === kind);
    const transceiver =
      index >= 0
        ? transport.free.splice(index, 1)[0]!
        : transport.pc.addTransceiver(kind, { direction: 'sendonly' });
    const freed = freedAt.get(transceiver);
    if (freed !== undefined) {
      // A reused m-line keeps its SSRC: the new source must continue its sequence numbers and
      // timestamps (advanced by the real pause), or the receiver drops it as old packets.
      const step = Math.max(1, Math.round(((Date.now() - freed) * codec.clockRate) / 1000));
      transceiver.sender.replaceRTP({ sequenceNumber: 0, timestamp: 0 }, true, step);
    }
    transceiver.setDirection('sendonly');
    const wanted = codecsFor()[kind].filter(
      (c) =>
        c.mimeType.toLowerCase() === codec.mimeType.toLowerCase() &&
        (kind === 'audio' ||
          !codec.parameters ||
          c.parameters === undefined ||
          sameH264Profile(c, codec)),
    );
    const preferred = wanted.length > 0 ? wanted : codecsFor()[kind];
    if (codec.parameters && wanted.length > 0 && codec.mimeType.toLowerCase() === 'video/h264') {
      preferred[0]!.parameters = codec.parameters;
    }
    transceiver.setCodecPreferences(preferred);
    const { unSubscribe } = transceiver.sender.onPictureLossIndication.subscribe(() => {
      this.safeEmit('keyframerequest', outTrackId);
    });
    const outgoing: Outgoing = { transceiver, unsubscribe: unSubscribe };
    transport.outgoing.set(outTrackId, outgoing);
    this.#outgoingIndex.set(outTrackId, outgoing);
  }

  async removeOutgoingTrack(transportId: string, outTrackId: string): Promise<void> {
    const transport = this.#get(transportId);
    const outgoing = transport.outgoing.get(outTrackId);
    if (!outgoing) return;
    outgoing.unsubscribe();
    outgoing.transceiver.setDirection('inactive');
    freedAt.set(outgoing.transceiver, Date.now());
    transport.outgoing.delete(outTrackId);
    this.#outgoingIndex.delete(outTrackId);
    transport.free.push(outgoing.transceiver);
  }

  async createOffer(transportId: string): Promise<{ sdp: string; mids: Record<string, string> }> {
    const transport = this.#get(transportId);
    const offer = await transport.pc.createOffer();
    await transport.pc.setLocalDescription(offer);
    const mids: Record<string, string> = {};
    for (const [outTrackId, outgoing] of transport.outgoing) {
      if (outgoing.transceiver.mid) mids[outTrackId] = outgoing.transceiver.mid;
    }
    const local = transport.pc.localDescription;
    if (!local) throw new Error('no local description after offer');
    return { sdp: local.sdp, mids };
  }

  async acceptAnswer(transportId: string, sdp: string): Promise<void> {
    await this.#get(transportId).pc.setRemoteDescription({
      type: 'answer',
      sdp: stripMdnsCandidates(sdp),
    });
  }

  onRtp(trackId: string, listener: (packet: RtpPacketLike) => void): () => void {
    const entry = this.#incomingIndex.get(trackId);
    if (!entry) throw new Error(`unknown incoming track ${trackId}`);
    entry.incoming.listeners.add(listener);
    return () => entry.incoming.listeners.delete(listener);
  }

  sendRtp(outTrackId: string, packet: RtpPacketLike): void {
    const outgoing = this.#outgoingIndex.get(outTrackId);
    if (!outgoing) return;
    const rtp =
      packet instanceof RtpPacket
        ? packet
        : new RtpPacket(new RtpHeader({ ...packet.header }), packet.payload);
    outgoing.transceiver.sender.sendRtp(rtp).catch(() => undefined);
  }

  requestKeyframe(trackId: string): void {
    const entry = this.#incomingIndex.get(trackId);
    if (!entry) return;
    const { incoming } = entry;
    if (incoming.ssrc === undefined) {
      incoming.pendingKeyframeRequest = true;
      return;
    }
    incoming.pendingKeyframeRequest = false;
    incoming.transceiver.receiver.sendRtcpPLI(incoming.ssrc).catch(() => undefined);
  }
}

function sameH264Profile(a: RTCRtpCodecParameters, b: CodecInfo): boolean {
  const profile = (p?: string) =>
    /profile-level-id=([0-9a-f]{2})/i.exec(p ?? '')?.[1]?.toLowerCase();
  return profile(a.parameters) === profile(b.parameters);
}
