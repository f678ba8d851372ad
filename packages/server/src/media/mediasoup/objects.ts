/**
 * Parley's media objects over mediasoup's: each wraps one mediasoup object, converts types at
 * the boundary, bounds every worker call in time, and reports its close once with a reason.
 */
import type { TrackKind } from '@parley/protocol';
import type * as ms from 'mediasoup/types';
import { SafeEmitter, type EventMap } from '../../util/TypedEmitter.js';
import type {
  ConsumerEvents,
  ConsumeOptions,
  MediaConsumer,
  MediaProducer,
  MediaTransport,
  ProduceOptions,
  ProducerEvents,
  TransportEvents,
} from '../MediaEngine.js';
import type {
  CloseReason,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  RtpCapabilities,
  RtpParameters,
  RtpStreamStats,
  TransportState,
} from '../types.js';

/** A worker answers control requests in well under a millisecond; 5 s means it is stuck. */
export const ENGINE_CALL_TIMEOUT_MS = 5000;

export class EngineTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`media engine did not answer ${what} within ${ms} ms`);
    this.name = 'EngineTimeoutError';
  }
}

/** Bounds an engine call: a stuck or dead worker must never hang a room. */
export function timed<T>(
  what: string,
  promise: Promise<T>,
  ms = ENGINE_CALL_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineTimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sumStats(
  list: readonly ms.RtpStreamRecvStats[] | readonly ms.RtpStreamSendStats[],
): RtpStreamStats {
  const total: RtpStreamStats = {
    packets: 0,
    bytes: 0,
    packetsLost: 0,
    nackCount: 0,
    pliCount: 0,
    firCount: 0,
    bitrate: 0,
    score: 0,
  };
  for (const s of list) {
    total.packets += s.packetCount;
    total.bytes += s.byteCount;
    total.packetsLost += s.packetsLost;
    total.nackCount += s.nackCount;
    total.pliCount += s.pliCount;
    total.firCount += s.firCount;
    total.bitrate += s.bitrate;
    total.score = Math.max(total.score, s.score);
    if (s.roundTripTime !== undefined && s.roundTripTime > 0) {
      total.roundTripTime = Math.max(total.roundTripTime ?? 0, s.roundTripTime);
    }
  }
  return total;
}

/** Shared close bookkeeping: `close` fires once, with the first reason. */
export abstract class Wrapped<
  E extends { close: [reason: CloseReason] } & EventMap<E>,
> extends SafeEmitter<E> {
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  protected markClosed(reason: CloseReason): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    (this as SafeEmitter<{ close: [reason: CloseReason] }>).safeEmit('close', reason);
    return true;
  }
}

/** How a wrapper learns that its worker died (mediasoup reports it as a parent close). */
export interface WorkerHealth {
  readonly died: boolean;
}

export class MsProducer extends Wrapped<ProducerEvents> implements MediaProducer {
  readonly #afterFrame: Array<() => void> = [];
  #afterFrameTimer: NodeJS.Timeout | undefined;
  #tracing = false;

  constructor(
    readonly inner: ms.Producer,
    private readonly health: WorkerHealth,
  ) {
    super();
    inner.on('transportclose', () =>
      this.#closedBy(this.health.died ? 'worker-died' : 'parent-closed'),
    );
    inner.on('score', (scores) =>
      this.safeEmit('score', Math.max(0, ...scores.map((s) => s.score))),
    );
    inner.on('trace', (trace) => {
      if (trace.type !== 'rtp') return;
      const packet = (trace.info as { rtpPacket?: { marker?: boolean } }).rtpPacket;
      if (packet?.marker) this.#runAfterFrame();
    });
  }

  get id(): string {
    return this.inner.id;
  }
  get kind(): TrackKind {
    return this.inner.kind;
  }
  get paused(): boolean {
    return this.inner.paused;
  }

  pause(): Promise<void> {
    return timed('producer.pause', this.inner.pause());
  }
  resume(): Promise<void> {
    return timed('producer.resume', this.inner.resume());
  }

  /**
   * Per-packet traces cross the worker channel, so they are on only while work waits for a
   * frame (SEI), and off again once it has run.
   */
  afterNextFrame(work: () => void, maxWaitMs = 300): void {
    if (this.closed || this.inner.kind !== 'video') {
      work();
      return;
    }
    this.#afterFrame.push(work);
    this.#afterFrameTimer ??= setTimeout(() => this.#runAfterFrame(), maxWaitMs);
    if (!this.#tracing) {
      this.#tracing = true;
      this.inner.enableTraceEvent(['rtp']).catch(() => undefined);
    }
  }

  #runAfterFrame(): void {
    clearTimeout(this.#afterFrameTimer);
    this.#afterFrameTimer = undefined;
    const work = this.#afterFrame.splice(0);
    if (this.#tracing && !this.inner.closed) {
      this.#tracing = false;
      this.inner.enableTraceEvent([]).catch(() => undefined);
    }
    for (const run of work) run();
  }

  async stats(): Promise<RtpStreamStats> {
    return sumStats(await timed('producer.getStats', this.inner.getStats()));
  }

  close(): void {
    if (!this.inner.closed) this.inner.close();
    this.#closedBy('closed');
  }

  #closedBy(reason: CloseReason): void {
    this.#runAfterFrame();
    this.markClosed(reason);
  }
}

export class MsConsumer extends Wrapped<ConsumerEvents> implements MediaConsumer {
  readonly rtpParameters: RtpParameters;

  constructor(
    readonly inner: ms.Consumer,
    private readonly health: WorkerHealth,
    /** The producer id the room knows (a piped producer keeps it). */
    readonly producerId: string,
  ) {
    super();
    this.rtpParameters = fromMsRtpParameters(inner.rtpParameters);
    const parentClosed = () => this.markClosed(this.health.died ? 'worker-died' : 'parent-closed');
    inner.on('transportclose', parentClosed);
    inner.on('producerclose', parentClosed);
    inner.on('layerschange', (layers) =>
      this.safeEmit(
        'layerschange',
        layers
          ? {
              spatial: layers.spatialLayer,
              ...(layers.temporalLayer !== undefined ? { temporal: layers.temporalLayer } : {}),
            }
          : null,
      ),
    );
  }

  get id(): string {
    return this.inner.id;
  }
  get kind(): TrackKind {
    return this.inner.kind;
  }
  get paused(): boolean {
    return this.inner.paused;
  }

  pause(): Promise<void> {
    return timed('consumer.pause', this.inner.pause());
  }
  resume(): Promise<void> {
    return timed('consumer.resume', this.inner.resume());
  }
  requestKeyframe(): Promise<void> {
    return timed('consumer.requestKeyFrame', this.inner.requestKeyFrame());
  }
  setPreferredLayers(layers: { spatial: number; temporal?: number }): Promise<void> {
    return timed(
      'consumer.setPreferredLayers',
      this.inner.setPreferredLayers({
        spatialLayer: layers.spatial,
        ...(layers.temporal !== undefined ? { temporalLayer: layers.temporal } : {}),
      }),
    );
  }

  async stats(): Promise<RtpStreamStats> {
    const list = await timed('consumer.getStats', this.inner.getStats());
    // getStats() lists the consumer's outbound stream and the producer's inbound one.
    return sumStats(list.filter((s) => s.type === 'outbound-rtp') as ms.RtpStreamSendStats[]);
  }

  close(): void {
    if (!this.inner.closed) this.inner.close();
    this.markClosed('closed');
  }
}

/** Produces a consumer for a producer id on this transport's router (piping it there first). */
export type ConsumerFactory = (
  transport: ms.WebRtcTransport,
  options: ConsumeOptions,
) => Promise<{ inner: ms.Consumer; producerId: string }>;

export class MsTransport extends Wrapped<TransportEvents> implements MediaTransport {
  #state: TransportState = 'new';
  #connected = false;
  /** tryBitrate's floor in force (0: none) and the timer that lifts it. */
  #floor = 0;
  #floorTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly inner: ms.WebRtcTransport,
    private readonly health: WorkerHealth,
    private readonly consumerFactory: ConsumerFactory,
    private readonly onProducer: (producer: MsProducer) => void,
  ) {
    super();
    inner.on('routerclose', () => this.#end(this.health.died ? 'worker-died' : 'parent-closed'));
    inner.on('icestatechange', () => this.#update());
    inner.on('dtlsstatechange', () => this.#update());
  }

  get id(): string {
    return this.inner.id;
  }
  get state(): TransportState {
    return this.#state;
  }
  get connected(): boolean {
    return this.#connected;
  }
  get iceParameters(): IceParameters {
    return { ...this.inner.iceParameters };
  }
  get iceCandidates(): readonly IceCandidate[] {
    return this.inner.iceCandidates.map((c) => ({
      foundation: c.foundation,
      priority: c.priority,
      address: c.address,
      protocol: c.protocol,
      port: c.port,
      type: 'host',
      ...(c.tcpType ? { tcpType: c.tcpType } : {}),
    }));
  }
  get dtlsParameters(): DtlsParameters {
    const { role, fingerprints } = this.inner.dtlsParameters;
    return { ...(role ? { role } : {}), fingerprints: fingerprints.map((f) => ({ ...f })) };
  }

  async connect(remote: DtlsParameters): Promise<void> {
    if (this.#connected) return;
    this.#connected = true;
    try {
      await timed(
        'transport.connect',
        this.inner.connect({
          dtlsParameters: {
            ...(remote.role ? { role: remote.role } : {}),
            fingerprints: remote.fingerprints.map((f) => ({
              algorithm: f.algorithm as ms.FingerprintAlgorithm,
              value: f.value,
            })),
          },
        }),
      );
    } catch (error) {
      this.#connected = false;
      throw error;
    }
  }

  async produce(options: ProduceOptions): Promise<MediaProducer> {
    const inner = await timed(
      'transport.produce',
      this.inner.produce({
        kind: options.kind,
        rtpParameters: toMsRtpParameters(options.rtpParameters),
        paused: options.paused ?? false,
        // No extra delay: the engine already sends one PLI/FIR per SSRC while a keyframe is
        // pending (later requests from subscribers fold into it; re-asked after 1 s unanswered).
        keyFrameRequestDelay: 0,
      }),
    );
    const producer = new MsProducer(inner, this.health);
    this.onProducer(producer);
    return producer;
  }

  async consume(options: ConsumeOptions): Promise<MediaConsumer> {
    const { inner, producerId } = await this.consumerFactory(this.inner, options);
    return new MsConsumer(inner, this.health, producerId);
  }

  async restartIce(): Promise<IceParameters> {
    return { ...(await timed('transport.restartIce', this.inner.restartIce())) };
  }

  async tryBitrate(bps: number, ms: number): Promise<void> {
    if (bps <= 0) {
      // Lifted now: the try showed the link does not carry it.
      if (this.#floorTimer) clearTimeout(this.#floorTimer);
      this.#floorTimer = null;
      if (this.#floor === 0) return;
      this.#floor = 0;
      await timed('transport.setMinOutgoingBitrate', this.inner.setMinOutgoingBitrate(0));
      return;
    }
    // mediasoup 3.32's estimator (libwebrtc's) only probes while the link is idle, 5 s apart
    // and at twice the estimate, and its probes after a lifted 1 Mbit/s cap moved nothing in
    // our runs: the big layer came back 20-35 s after the cap. A floor lifts the estimate at
    // once; sending the layer it allows is the probe, and the floor goes before its verdict.
    // Tries that overlap (several streams' holds end together) share one floor, the highest,
    // lifted by the last try's timer; armed before the call, so a call that times out in
    // Node but reaches the worker cannot leave a floor for good.
    this.#floor = Math.max(this.#floor, bps);
    if (this.#floorTimer) clearTimeout(this.#floorTimer);
    this.#floorTimer = setTimeout(() => {
      this.#floor = 0;
      this.#floorTimer = null;
      if (this.closed) return;
      this.inner.setMinOutgoingBitrate(0).catch(() => undefined); // closed meanwhile
    }, ms).unref();
    await timed('transport.setMinOutgoingBitrate', this.inner.setMinOutgoingBitrate(this.#floor));
  }

  async probe(): Promise<void> {
    // mediasoup's probe controller probes when the maximum rises above both the old maximum
    // and the estimate. A maximum well above the estimate (it limits nothing), then none at
    // all, asks one burst; the engine aims it at twice what the consumers want at most.
    const { availableOutgoingBitrate } = await this.stats();
    const above = Math.max(Math.round((availableOutgoingBitrate ?? 0) * 1.5), 1_000_000);
    await timed('transport.setMaxOutgoingBitrate', this.inner.setMaxOutgoingBitrate(above));
    await timed('transport.setMaxOutgoingBitrate', this.inner.setMaxOutgoingBitrate(0));
  }

  async stats(): Promise<{ bytesIn: number; bytesOut: number; availableOutgoingBitrate?: number }> {
    const [s] = await timed('transport.getStats', this.inner.getStats());
    return {
      bytesIn: s?.bytesReceived ?? 0,
      bytesOut: s?.bytesSent ?? 0,
      ...(s?.availableOutgoingBitrate !== undefined
        ? { availableOutgoingBitrate: s.availableOutgoingBitrate }
        : {}),
    };
  }

  close(): void {
    if (!this.inner.closed) this.inner.close();
    this.#end('closed');
  }

  #update(): void {
    const { iceState, dtlsState } = this.inner;
    let state: TransportState;
    if (dtlsState === 'failed' || iceState === 'closed') state = 'failed';
    else if (dtlsState === 'closed') state = 'closed';
    else if (dtlsState === 'connected' && (iceState === 'connected' || iceState === 'completed'))
      state = 'connected';
    else if (iceState === 'disconnected') state = 'disconnected';
    else if (iceState === 'new' && dtlsState === 'new') state = 'new';
    else state = 'connecting';
    if (state === this.#state) return;
    this.#state = state;
    this.safeEmit('statechange', state);
  }

  #end(reason: CloseReason): void {
    if (this.closed) return;
    this.#state = 'closed';
    this.markClosed(reason);
  }
}

// ---- type conversion at the boundary ----

export function toMsRtpParameters(p: RtpParameters): ms.RtpParameters {
  return {
    ...(p.mid !== undefined ? { mid: p.mid } : {}),
    codecs: p.codecs.map((c) => ({
      mimeType: c.mimeType,
      payloadType: c.payloadType,
      clockRate: c.clockRate,
      ...(c.channels !== undefined ? { channels: c.channels } : {}),
      parameters: { ...(c.parameters ?? {}) },
      rtcpFeedback: (c.rtcpFeedback ?? []).map((f) => ({
        type: f.type,
        ...(f.parameter !== undefined ? { parameter: f.parameter } : {}),
      })),
    })),
    headerExtensions: p.headerExtensions.map((h) => ({
      uri: h.uri as ms.RtpHeaderExtensionUri,
      id: h.id,
    })),
    encodings: p.encodings.map((e) => ({ ...e })),
    rtcp: { ...p.rtcp },
  };
}

export function fromMsRtpParameters(p: ms.RtpParameters): RtpParameters {
  return {
    ...(p.mid !== undefined ? { mid: p.mid } : {}),
    codecs: p.codecs.map((c) => ({
      mimeType: c.mimeType,
      payloadType: c.payloadType,
      clockRate: c.clockRate,
      ...(c.channels !== undefined ? { channels: c.channels } : {}),
      parameters: Object.fromEntries(
        Object.entries(c.parameters ?? {}).filter(
          (e): e is [string, string | number] =>
            typeof e[1] === 'string' || typeof e[1] === 'number',
        ),
      ),
      rtcpFeedback: (c.rtcpFeedback ?? []).map((f) => ({
        type: f.type,
        ...(f.parameter ? { parameter: f.parameter } : {}),
      })),
    })),
    headerExtensions: (p.headerExtensions ?? []).map((h) => ({ uri: h.uri, id: h.id })),
    encodings: (p.encodings ?? []).map((e) => ({
      ...(e.ssrc !== undefined ? { ssrc: e.ssrc } : {}),
      ...(e.rid !== undefined ? { rid: e.rid } : {}),
      ...(e.rtx ? { rtx: { ssrc: e.rtx.ssrc } } : {}),
      ...(e.maxBitrate !== undefined ? { maxBitrate: e.maxBitrate } : {}),
      ...(e.scalabilityMode !== undefined ? { scalabilityMode: e.scalabilityMode } : {}),
    })),
    rtcp: {
      ...(p.rtcp?.cname !== undefined ? { cname: p.rtcp.cname } : {}),
      ...(p.rtcp?.reducedSize !== undefined ? { reducedSize: p.rtcp.reducedSize } : {}),
    },
  };
}

export function toMsRtpCapabilities(c: RtpCapabilities): ms.RtpCapabilities {
  return {
    codecs: c.codecs.map((codec) => ({
      kind: codec.kind,
      mimeType: codec.mimeType,
      preferredPayloadType: codec.preferredPayloadType ?? 0,
      clockRate: codec.clockRate,
      ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
      parameters: { ...(codec.parameters ?? {}) },
      rtcpFeedback: (codec.rtcpFeedback ?? []).map((f) => ({ ...f })),
    })),
    headerExtensions: c.headerExtensions.map((h) => ({
      kind: h.kind,
      uri: h.uri as ms.RtpHeaderExtensionUri,
      preferredId: h.preferredId,
      ...(h.direction ? { direction: h.direction } : {}),
    })),
  };
}

export function fromMsRtpCapabilities(c: ms.RtpCapabilities): RtpCapabilities {
  return {
    codecs: (c.codecs ?? []).map((codec) => ({
      kind: codec.kind,
      mimeType: codec.mimeType,
      preferredPayloadType: codec.preferredPayloadType,
      clockRate: codec.clockRate,
      ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
      parameters: Object.fromEntries(
        Object.entries(codec.parameters ?? {}).filter(
          (e): e is [string, string | number] =>
            typeof e[1] === 'string' || typeof e[1] === 'number',
        ),
      ),
      rtcpFeedback: (codec.rtcpFeedback ?? []).map((f) => ({
        type: f.type,
        ...(f.parameter ? { parameter: f.parameter } : {}),
      })),
    })),
    headerExtensions: (c.headerExtensions ?? []).map((h) => ({
      kind: h.kind,
      uri: h.uri,
      preferredId: h.preferredId,
      ...(h.direction ? { direction: h.direction } : {}),
    })),
  };
}
