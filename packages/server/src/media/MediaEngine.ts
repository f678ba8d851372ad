/**
 * The media engine boundary: producers and consumers on WebRTC transports inside a per-room
 * media router, as mediasoup models them, in Parley's own types (media/types.ts). Rooms and
 * the SDP code see only this; the engine (mediasoup, media/mediasoup/) decides which worker
 * process carries what, spans a room over workers when it outgrows one, and replaces workers
 * that die. Every object carries its own events and `close()`; a parent's close (or its
 * worker's death) closes its children, each emitting `close` with the reason.
 */
import type { TrackKind } from '@parley/protocol';
import type { EventMap, TypedEmitter } from '../util/TypedEmitter.js';
import type {
  CloseReason,
  CodecCapability,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  RtpCapabilities,
  RtpParameters,
  RtpStreamStats,
  TransportState,
} from './types.js';

export interface ClosableEvents {
  close: [reason: CloseReason];
}

interface Closable<E extends ClosableEvents & EventMap<E>> extends TypedEmitter<E> {
  readonly id: string;
  readonly closed: boolean;
  close(): void;
}

export interface ProducerEvents extends ClosableEvents {
  /** The engine's view of the incoming stream's quality changed (0–10). */
  score: [score: number];
}

/** A track a client sends. */
export interface MediaProducer extends Closable<ProducerEvents> {
  readonly kind: TrackKind;
  readonly paused: boolean;
  /** Paused: nothing is forwarded to any consumer (mute that does not trust the client). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Runs `work` right after the next complete video frame went out (or after `maxWaitMs`). */
  afterNextFrame(work: () => void, maxWaitMs?: number): void;
  stats(): Promise<RtpStreamStats>;
}

export interface ConsumerEvents extends ClosableEvents {
  /** Spatial/temporal layer now sent (simulcast/SVC); null when none. */
  layerschange: [layers: { spatial: number; temporal?: number } | null];
}

/** A producer forwarded to one client's subscriber transport. */
export interface MediaConsumer extends Closable<ConsumerEvents> {
  readonly kind: TrackKind;
  readonly producerId: string;
  /** What the client receives: codecs, its SSRCs, header extensions (for the SDP offer). */
  readonly rtpParameters: RtpParameters;
  readonly paused: boolean;
  pause(): Promise<void>;
  resume(): Promise<void>;
  requestKeyframe(): Promise<void>;
  /** Preferred layers (simulcast/SVC): the engine sends the best one the downlink allows. */
  setPreferredLayers(layers: { spatial: number; temporal?: number }): Promise<void>;
  stats(): Promise<RtpStreamStats>;
}

export interface TransportEvents extends ClosableEvents {
  statechange: [state: TransportState];
}

export interface ProduceOptions {
  kind: TrackKind;
  rtpParameters: RtpParameters;
  paused?: boolean;
}

export interface ConsumeOptions {
  producerId: string;
  /** What the receiving client can decode. */
  rtpCapabilities: RtpCapabilities;
  paused?: boolean;
}

/** One client's ICE + DTLS transport (ICE-lite on the server side). */
export interface MediaTransport extends Closable<TransportEvents> {
  readonly state: TransportState;
  readonly iceParameters: IceParameters;
  readonly iceCandidates: readonly IceCandidate[];
  readonly dtlsParameters: DtlsParameters;
  /** The remote DTLS parameters, once (the first SDP that carries them). */
  connect(remote: DtlsParameters): Promise<void>;
  readonly connected: boolean;
  produce(options: ProduceOptions): Promise<MediaProducer>;
  consume(options: ConsumeOptions): Promise<MediaConsumer>;
  /** New local ICE credentials (the client restarts ICE with them). */
  restartIce(): Promise<IceParameters>;
  /**
   * Lifts this transport's downlink estimate to at least `bps` for `ms`, then lets the
   * estimator take it from there: what it sends meanwhile (a higher layer) shows whether the
   * link carries it. An estimate that fell under a cap since lifted otherwise creeps back up
   * over tens of seconds while only a low layer goes out. `bps` 0 lifts the floor now.
   */
  tryBitrate(bps: number, ms: number): Promise<void>;
  /**
   * Asks the estimator for one probe above its estimate now: a short burst of padding, so
   * the estimate learns that the link carries more without sending a higher layer.
   */
  probe(): Promise<void>;
  stats(): Promise<{ bytesIn: number; bytesOut: number; availableOutgoingBitrate?: number }>;
}

export interface MediaRouterEvents extends ClosableEvents {
  /**
   * Objects of this router were lost with a worker that died (the router itself lives on, on
   * a replacement worker when it was its home): the room must rebuild what it lists.
   */
  workerlost: [lost: { transportIds: string[]; producerIds: string[] }];
}

/** Where one end of a node-to-node media pipe listens, and its SRTP sending key. */
export interface PipeTuple {
  ip: string;
  port: number;
  srtp: { cryptoSuite: string; keyBase64: string };
}

/** What a pipe's receiving end needs to recreate a producer sent over it. */
export interface PipedProducer {
  producerId: string;
  kind: TrackKind;
  /** As the sending end forwards it: every simulcast layer, its own SSRCs. */
  rtpParameters: RtpParameters;
  paused: boolean;
}

export interface PipeStats {
  bytesIn: number;
  bytesOut: number;
  /** bits per second, as the engine measures it */
  recvBitrate: number;
  sendBitrate: number;
}

/**
 * One end of a media pipe between this room's router and the same room's router on another
 * node (RTP over UDP, SRTP on): producers go over it once per node pair, however many viewers
 * the other node has. Keyframe requests and retransmissions travel back over it.
 */
export interface MediaPipe extends Closable<ClosableEvents> {
  readonly local: PipeTuple;
  /** The other end's tuple (once). */
  connect(remote: PipeTuple): Promise<void>;
  /** Sending end: forwards a producer of this router over the pipe (again: the same one). */
  send(producerId: string): Promise<PipedProducer>;
  /** Sending end: stops forwarding it (the other node has no viewer of it left). */
  unsend(producerId: string): void;
  /** Sending end: the producers forwarded now. */
  sending(): string[];
  /** Receiving end: a producer of this router fed from the pipe, with the sender's id. */
  receive(piped: PipedProducer): Promise<MediaProducer>;
  stats(): Promise<PipeStats>;
}

/** Where a plain (unencrypted RTP over UDP) consumer sends, on this machine: a media-out process. */
export interface PlainConsumerOptions {
  producerId: string;
  /** The receiving process's address (loopback) and ports: RTP, and RTCP (sender reports). */
  ip: string;
  port: number;
  rtcpPort: number;
  /** Starts paused (resume() once the receiver listens). */
  paused?: boolean;
}

/**
 * A producer forwarded as plain RTP to a local process (media-out: mixing, relay, recording).
 * The engine sends (no comedia: it does not wait for the receiver to send first). Closes with
 * its producer ('parent-closed') or its worker.
 */
export interface MediaPlainConsumer extends Closable<ClosableEvents> {
  readonly kind: TrackKind;
  readonly producerId: string;
  /** What it sends: the codec and payload type the receiver must depacketize. */
  readonly rtpParameters: RtpParameters;
  resume(): Promise<void>;
  requestKeyframe(): Promise<void>;
  stats(): Promise<RtpStreamStats>;
}

/** The media of one room; may span several workers. */
export interface MediaRouter extends Closable<MediaRouterEvents> {
  readonly rtpCapabilities: RtpCapabilities;
  createTransport(role: 'publisher' | 'subscriber'): Promise<MediaTransport>;
  /** One end of a media pipe to this room on another node (see MediaPipe). */
  createPipe(): Promise<MediaPipe>;
  /** A producer of this room sent as plain RTP to a local process (see MediaPlainConsumer). */
  createPlainConsumer(options: PlainConsumerOptions): Promise<MediaPlainConsumer>;
  /** Worker process ids this room uses now (tests, metrics). */
  readonly workerPids: readonly number[];
}

export interface WorkerInfo {
  pid: number;
  /** Consumers + producers + transports it carries: the placement load. */
  load: number;
  routers: number;
}

export interface MediaEngineEvents {
  /** A worker died (it has been replaced already when `replacedBy` is set). */
  workerdied: [info: { pid: number; error: string; replacedBy: number | null }];
}

export interface MediaEngine extends TypedEmitter<MediaEngineEvents> {
  readonly name: string;
  /** Starts the workers. */
  start(): Promise<void>;
  /**
   * A router; `codecs` replaces the room codecs (a subset of them, each with the payload type
   * a peer that offered wants it sent with: a WHEP player's router, fed from the room's router
   * by a MediaPipe).
   */
  createRouter(codecs?: readonly CodecCapability[]): Promise<MediaRouter>;
  workers(): WorkerInfo[];
  close(): Promise<void>;
}
