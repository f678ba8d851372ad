/**
 * Fans RTP out from published tracks (sources) to subscribed tracks (sinks) of one room.
 * Engine-agnostic: it talks to the MediaEngine only by ids and packets. One Router per room,
 * so a sink can only ever be bound to a source of its own room.
 *
 * Fast start: each video source keeps the packets since its last keyframe (its GOP). A new
 * sink whose transport connects while that GOP is fresh gets it in one burst and is live at
 * once, with no keyframe round trip; with a stale GOP it gets the keyframe alone (a picture
 * at once) and waits for the fresh keyframe requested when it was added.
 *
 * Mute: a muted source's packets are dropped here whatever the publisher still sends (a
 * client that only disables its track sends black frames or silence). On unmute its video
 * sinks wait for a keyframe again (one is requested), so nobody decodes from a broken
 * reference, and every sink re-bases its sequence numbers over the gap.
 */
import type { TrackKind } from '@parley/protocol';
import type { CodecInfo, MediaEngine, RtpPacketLike } from '../media/MediaEngine.js';
import { keyframeDetectorFor, type KeyframeDetector } from './keyframe.js';

/** A GOP younger than this is sent whole to a new subscriber. */
const FRESH_GOP_MS = 1500;
/** Longest GOP kept (packets); longer ones are not worth a burst. */
const MAX_GOP_PACKETS = 600;
/** Minimum spacing of keyframe requests to one publisher. */
const KEYFRAME_REQUEST_INTERVAL_MS = 300;
/** A sink still waiting this long for a keyframe asks again. */
const KEYFRAME_RETRY_MS = 1000;

type Clock = () => number;

interface Source {
  id: string;
  kind: TrackKind;
  detector: KeyframeDetector | null;
  gop: RtpPacketLike[] | null;
  gopStartedAt: number;
  lastTimestamp: number | undefined;
  lastKeyframeRequestAt: number;
  muted: boolean;
  /** Packets sent to its sinks, for stats. */
  forwarded: number;
  sinks: Set<Sink>;
  unsubscribe: () => void;
  /** Work to run once the next frame has been forwarded (SEI), in order. */
  afterFrame: Array<() => void>;
  afterFrameTimer: NodeJS.Timeout | undefined;
}

type SinkState = 'idle' | 'waiting-keyframe' | 'forwarding';

interface Sink {
  id: string;
  source: Source;
  transportId: string;
  state: SinkState;
  waitingSince: number;
  /** Re-base sequence numbers on the next packet sent. */
  resync: boolean;
  seqOffset: number;
  tsOffset: number;
  lastOutSeq: number | undefined;
}

export interface SourceStats {
  sourceId: string;
  kind: TrackKind;
  muted: boolean;
  sinks: number;
  /** Packets sent to subscribers (one per sink). */
  forwardedPackets: number;
}

export class Router {
  readonly #sources = new Map<string, Source>();
  readonly #sinks = new Map<string, Sink>();
  readonly #connectedTransports = new Set<string>();

  constructor(
    private readonly engine: MediaEngine,
    private readonly now: Clock = Date.now,
  ) {}

  /** Per published track: who receives it and how much was forwarded (metrics, tests). */
  sourceStats(): SourceStats[] {
    return [...this.#sources.values()].map((s) => ({
      sourceId: s.id,
      kind: s.kind,
      muted: s.muted,
      sinks: s.sinks.size,
      forwardedPackets: s.forwarded,
    }));
  }

  hasSource(sourceId: string): boolean {
    return this.#sources.has(sourceId);
  }

  addSource(sourceId: string, kind: TrackKind, codec: CodecInfo): void {
    if (this.#sources.has(sourceId)) return;
    const source: Source = {
      id: sourceId,
      kind,
      detector: kind === 'video' ? keyframeDetectorFor(codec.mimeType) : null,
      gop: null,
      gopStartedAt: 0,
      lastTimestamp: undefined,
      lastKeyframeRequestAt: -Infinity,
      muted: false,
      forwarded: 0,
      sinks: new Set(),
      unsubscribe: () => undefined,
      afterFrame: [],
      afterFrameTimer: undefined,
    };
    this.#sources.set(sourceId, source);
    source.unsubscribe = this.engine.onRtp(sourceId, (packet) => this.#onPacket(source, packet));
  }

  /**
   * Stops (muted) or resumes forwarding a source. The GOP is dropped at mute: a subscriber
   * added meanwhile must not be shown the picture from before the mute.
   */
  setSourceMuted(sourceId: string, muted: boolean): void {
    const source = this.#sources.get(sourceId);
    if (!source || source.muted === muted) return;
    source.muted = muted;
    if (muted) {
      source.gop = null;
      return;
    }
    for (const sink of source.sinks) {
      sink.resync = true;
      if (source.kind === 'video' && sink.state === 'forwarding') {
        sink.state = 'waiting-keyframe';
        sink.waitingSince = this.now();
      }
    }
    if (source.kind === 'video') this.#requestKeyframe(source, true);
  }

  isSourceMuted(sourceId: string): boolean {
    return this.#sources.get(sourceId)?.muted ?? false;
  }

  removeSource(sourceId: string): void {
    const source = this.#sources.get(sourceId);
    if (!source) return;
    source.unsubscribe();
    this.#runAfterFrame(source);
    for (const sink of source.sinks) this.#sinks.delete(sink.id);
    source.sinks.clear();
    source.gop = null;
    this.#sources.delete(sourceId);
  }

  /**
   * Runs `work` right after the source's next frame has gone out to its subscribers (the
   * packet with the marker bit), or after `maxWaitMs` when no frame comes (muted, stalled).
   * SEI messages use it to travel with the frame they were sent for. In order per source.
   */
  afterNextFrame(sourceId: string, work: () => void, maxWaitMs = 300): void {
    const source = this.#sources.get(sourceId);
    if (!source) {
      work();
      return;
    }
    source.afterFrame.push(work);
    source.afterFrameTimer ??= setTimeout(() => this.#runAfterFrame(source), maxWaitMs);
  }

  #runAfterFrame(source: Source): void {
    clearTimeout(source.afterFrameTimer);
    source.afterFrameTimer = undefined;
    const work = source.afterFrame.splice(0);
    for (const run of work) run();
  }

  /** Binds an outgoing track to a source. Asks for a keyframe now, so one is fresh at connect. */
  addSink(sinkId: string, sourceId: string, transportId: string): void {
    const source = this.#sources.get(sourceId);
    if (!source) throw new Error(`unknown source ${sourceId}`);
    if (this.#sinks.has(sinkId)) throw new Error(`sink ${sinkId} exists`);
    const sink: Sink = {
      id: sinkId,
      source,
      transportId,
      state: 'idle',
      waitingSince: this.now(),
      resync: true,
      seqOffset: 0,
      tsOffset: 0,
      lastOutSeq: undefined,
    };
    this.#sinks.set(sinkId, sink);
    source.sinks.add(sink);
    if (source.kind === 'video' && !this.#gopIsFresh(source)) this.#requestKeyframe(source);
    if (this.#connectedTransports.has(transportId)) this.#start(sink);
  }

  removeSink(sinkId: string): void {
    const sink = this.#sinks.get(sinkId);
    if (!sink) return;
    sink.source.sinks.delete(sink);
    this.#sinks.delete(sinkId);
  }

  /** Called on transport state changes: sinks only send once their transport is connected. */
  setTransportConnected(transportId: string, connected: boolean): void {
    if (connected === this.#connectedTransports.has(transportId)) return;
    if (!connected) {
      this.#connectedTransports.delete(transportId);
      for (const sink of this.#sinks.values()) {
        if (sink.transportId === transportId) {
          sink.state = 'idle';
          sink.resync = true;
        }
      }
      return;
    }
    this.#connectedTransports.add(transportId);
    for (const sink of this.#sinks.values()) {
      if (sink.transportId === transportId && sink.state === 'idle') this.#start(sink);
    }
  }

  /** A subscriber lost a picture (PLI): ask its source's publisher, rate-limited. */
  handleKeyframeRequest(sinkId: string): void {
    const sink = this.#sinks.get(sinkId);
    if (sink) this.#requestKeyframe(sink.source);
  }

  #gopIsFresh(source: Source): boolean {
    return source.gop !== null && this.now() - source.gopStartedAt < FRESH_GOP_MS;
  }

  /** `force`: skip the rate limit (an unmute needs a keyframe now, whatever came before). */
  #requestKeyframe(source: Source, force = false): void {
    const now = this.now();
    if (!force && now - source.lastKeyframeRequestAt < KEYFRAME_REQUEST_INTERVAL_MS) return;
    source.lastKeyframeRequestAt = now;
    this.engine.requestKeyframe(source.id);
  }

  #start(sink: Sink): void {
    const { source } = sink;
    if (source.kind !== 'video') {
      sink.state = 'forwarding';
      return;
    }
    const gop = source.gop;
    if (gop && this.#gopIsFresh(source)) {
      for (const packet of gop) this.#emit(sink, packet);
      sink.state = 'forwarding';
      return;
    }
    if (gop && source.lastTimestamp !== undefined) {
      // Stale GOP: show its keyframe now, stamped as recent so the receiver's clock is not
      // dragged back, and resume on the fresh keyframe.
      const keyframeTs = gop[0]!.header.timestamp;
      sink.tsOffset = (source.lastTimestamp - keyframeTs - 1) >>> 0;
      for (const packet of gop) {
        if (packet.header.timestamp !== keyframeTs) break;
        this.#emit(sink, packet);
      }
      sink.tsOffset = 0;
    }
    sink.state = 'waiting-keyframe';
    sink.resync = true;
    sink.waitingSince = this.now();
    this.#requestKeyframe(source);
  }

  #onPacket(source: Source, packet: RtpPacketLike): void {
    if (source.muted) return;
    stripHeaderExtensions(packet);
    let keyframe = false;
    if (source.detector) {
      keyframe = source.detector(packet.payload);
      if (keyframe) {
        // A keyframe may span several packets; only its first starts a new GOP.
        if (source.gop === null || source.gop[0]!.header.timestamp !== packet.header.timestamp) {
          source.gop = [];
          source.gopStartedAt = this.now();
        }
        source.gop.push(packet);
      } else if (source.gop) {
        source.gop.push(packet);
      }
      // Bounded whatever the publisher sends (even endless "keyframe" packets of one frame).
      if (source.gop && source.gop.length > MAX_GOP_PACKETS) source.gop = null;
      source.lastTimestamp = packet.header.timestamp;
    }
    for (const sink of source.sinks) {
      if (sink.state === 'forwarding') {
        this.#emit(sink, packet);
      } else if (sink.state === 'waiting-keyframe') {
        if (keyframe) {
          sink.state = 'forwarding';
          this.#emit(sink, packet);
        } else if (this.now() - sink.waitingSince > KEYFRAME_RETRY_MS) {
          sink.waitingSince = this.now();
          this.#requestKeyframe(source);
        }
      }
    }
    if (packet.header.marker && source.afterFrame.length > 0) this.#runAfterFrame(source);
  }

  /**
   * Sends a packet to a sink. Sequence numbers are re-based after every stretch the sink
   * skipped (before its first packet, while waiting for a keyframe), so the receiver sees no
   * gap to NACK; gaps inside a forwarding stretch are real loss and stay visible.
   */
  #emit(sink: Sink, packet: RtpPacketLike): void {
    const header = packet.header;
    if (sink.resync) {
      sink.seqOffset =
        sink.lastOutSeq === undefined ? 0 : (sink.lastOutSeq + 1 - header.sequenceNumber) & 0xffff;
      sink.resync = false;
    }
    const sequenceNumber = (header.sequenceNumber + sink.seqOffset) & 0xffff;
    if (sink.lastOutSeq === undefined || ((sequenceNumber - sink.lastOutSeq) & 0xffff) < 0x8000) {
      sink.lastOutSeq = sequenceNumber;
    }
    sink.source.forwarded++;
    this.engine.sendRtp(sink.id, {
      header: { ...header, sequenceNumber, timestamp: (header.timestamp + sink.tsOffset) >>> 0 },
      payload: packet.payload,
    });
  }

  close(): void {
    for (const id of [...this.#sources.keys()]) this.removeSource(id);
    this.#connectedTransports.clear();
  }
}

/**
 * Header extension ids are negotiated per connection and werift does not remap them, so a
 * forwarded packet carries none (we negotiate none towards subscribers either).
 */
function stripHeaderExtensions(packet: RtpPacketLike): void {
  const header = packet.header as RtpPacketLike['header'] & {
    extensions?: unknown[];
    extension?: boolean;
  };
  if (header.extensions && header.extensions.length > 0) header.extensions = [];
  if (header.extension) header.extension = false;
}
