/**
 * A MediaEngine without a worker, for in-process tests of the room layer: routers,
 * transports, producers and consumers are plain objects that keep the engine's bookkeeping
 * (ids, paused, closed, parent-closes-children, the load a worker would count) and carry no
 * media. Tests drive what a real worker would do on its own: a transport that fails
 * (`FakeTransport.fail()`), a worker that dies (`FakeEngine.killWorker()`), a satellite
 * worker that dies (`FakeRouter.loseSatellite()`), a call that fails (`failNext()`), and
 * calls that take time (`latencyMs`), as calls over a worker's channel do.
 */
import { randomBytes } from 'node:crypto';
import type { TrackKind } from '@parley/protocol';
import { SafeEmitter, type EventMap } from '../../util/TypedEmitter.js';
import type {
  ClosableEvents,
  ConsumeOptions,
  ConsumerEvents,
  MediaConsumer,
  MediaEngine,
  MediaEngineEvents,
  MediaProducer,
  MediaPipe,
  MediaPlainConsumer,
  MediaRouter,
  MediaRouterEvents,
  PipeStats,
  PipeTuple,
  PipedProducer,
  MediaTransport,
  ProduceOptions,
  PlainConsumerOptions,
  ProducerEvents,
  TransportEvents,
  WorkerInfo,
} from '../MediaEngine.js';
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
} from '../types.js';

/** What the mediasoup engine's routers carry (its MEDIA_CODECS), so real offers read alike. */
export const FAKE_CODECS: readonly CodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    preferredPayloadType: 100,
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, minptime: 10 },
  },
  { kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 101, clockRate: 90000 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    preferredPayloadType: 103,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
  },
];

const ZERO_STATS: RtpStreamStats = {
  packets: 0,
  bytes: 0,
  packetsLost: 0,
  nackCount: 0,
  pliCount: 0,
  firCount: 0,
  bitrate: 0,
  score: 10,
};

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${++counter}`;
const randomSsrc = (): number => randomBytes(4).readUInt32BE() || 1;

/** The engine calls a test can delay (`latencyMs`) or make fail (`failNext`). */
export type FakeCall =
  | 'createRouter'
  | 'createTransport'
  | 'connect'
  | 'produce'
  | 'consume'
  | 'pause'
  | 'resume'
  | 'setPreferredLayers'
  | 'restartIce';

export interface FakeEngineOptions {
  /**
   * How long each engine call takes before it answers: unset, at once (in the same turn);
   * 0, on the next turn of the event loop; more, that many ms. A real worker answers over a
   * channel, so room operations that await it interleave; a latency lets tests see that.
   */
  latencyMs?: number;
}

/** The part every fake engine object shares: an id, `closed`, and a close that says why. */
abstract class FakeObject<E extends ClosableEvents & EventMap<E>> extends SafeEmitter<E> {
  readonly id: string;
  #closed = false;

  constructor(
    prefix: string,
    readonly engine: FakeEngine,
    id?: string,
  ) {
    super();
    this.id = id ?? nextId(prefix);
  }

  /** Its worker died (it closes, or closed, with 'worker-died'). */
  abstract readonly died: boolean;

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.closeFor('closed');
  }

  /** Closes with a reason; the children close first (as a worker closes them). */
  closeFor(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeChildren();
    // Each subclass's event map has `close: [CloseReason]`; the base cannot name E's keys.
    (this as unknown as SafeEmitter<ClosableEvents>).safeEmit('close', reason);
  }

  protected closeChildren(): void {}
}

/** How a child closes with its parent: as the real engine's wrappers say (mediasoup/objects.ts). */
function closeWithParent(child: { readonly died: boolean; closeFor(reason: CloseReason): void }) {
  child.closeFor(child.died ? 'worker-died' : 'parent-closed');
}

export class FakeProducer extends FakeObject<ProducerEvents> implements MediaProducer {
  paused: boolean;
  /** Consumers fed by it: they close with it (mediasoup's `producerclose`). */
  readonly consumers = new Set<FakeConsumer>();
  /** Plain RTP consumers (media-out) fed by it: they close with it too. */
  readonly plainConsumers = new Set<FakePlainConsumer>();

  constructor(
    readonly kind: TrackKind,
    readonly rtpParameters: RtpParameters,
    readonly transport: FakeTransport,
    paused: boolean,
    /** A producer received over a pipe keeps its sender's id. */
    id?: string,
  ) {
    super('producer', transport.engine, id);
    this.paused = paused;
  }

  get died(): boolean {
    return this.transport.died;
  }

  pause(): Promise<void> {
    return this.engine.call('pause', () => {
      this.paused = true;
    });
  }

  resume(): Promise<void> {
    return this.engine.call('resume', () => {
      this.paused = false;
    });
  }

  /** No frames flow here: the work runs on the next turn. */
  afterNextFrame(work: () => void): void {
    setImmediate(work);
  }

  stats(): Promise<RtpStreamStats> {
    return Promise.resolve({ ...ZERO_STATS });
  }

  protected override closeChildren(): void {
    for (const consumer of [...this.consumers]) closeWithParent(consumer);
    for (const plain of [...this.plainConsumers]) closeWithParent(plain);
  }
}

export class FakeConsumer extends FakeObject<ConsumerEvents> implements MediaConsumer {
  paused: boolean;
  readonly rtpParameters: RtpParameters;
  /** The last setPreferredLayers() asked (null: never). */
  preferredLayers: { spatial: number; temporal?: number } | null = null;

  constructor(
    readonly producer: FakeProducer,
    readonly transport: FakeTransport,
    paused: boolean,
  ) {
    super('consumer', transport.engine);
    this.paused = paused;
    const codecs = producer.rtpParameters.codecs;
    const hasRtx = codecs.some((c) => /\/rtx$/i.test(c.mimeType));
    // One outgoing stream with its own SSRCs, as the engine sends a consumer.
    this.rtpParameters = {
      codecs,
      headerExtensions: producer.rtpParameters.headerExtensions,
      encodings: [{ ssrc: randomSsrc(), ...(hasRtx ? { rtx: { ssrc: randomSsrc() } } : {}) }],
      rtcp: { cname: 'fake', reducedSize: true },
    };
    producer.consumers.add(this);
    this.once('close', () => producer.consumers.delete(this));
  }

  get kind(): TrackKind {
    return this.producer.kind;
  }

  get producerId(): string {
    return this.producer.id;
  }

  get died(): boolean {
    return this.transport.died;
  }

  pause(): Promise<void> {
    return this.engine.call('pause', () => {
      this.paused = true;
    });
  }

  resume(): Promise<void> {
    return this.engine.call('resume', () => {
      this.paused = false;
    });
  }

  /** How many keyframes were asked of this consumer. */
  keyframeRequests = 0;

  requestKeyframe(): Promise<void> {
    this.keyframeRequests++;
    return Promise.resolve();
  }

  setPreferredLayers(layers: { spatial: number; temporal?: number }): Promise<void> {
    return this.engine.call('setPreferredLayers', () => {
      this.preferredLayers = layers;
    });
  }

  stats(): Promise<RtpStreamStats> {
    return Promise.resolve({ ...ZERO_STATS });
  }
}

/**
 * A plain RTP consumer (media-out): sends nothing; keeps where it would send, whether it was
 * resumed, and how many keyframes were asked (tests of the media-out service read these).
 */
export class FakePlainConsumer extends FakeObject<ClosableEvents> implements MediaPlainConsumer {
  paused: boolean;
  keyframeRequests = 0;
  readonly rtpParameters: RtpParameters;

  constructor(
    readonly producer: FakeProducer,
    readonly options: PlainConsumerOptions,
  ) {
    super('plain', producer.engine);
    this.paused = options.paused ?? false;
    this.rtpParameters = {
      codecs: producer.rtpParameters.codecs,
      headerExtensions: [],
      encodings: [{ ssrc: randomSsrc() }],
      rtcp: { cname: 'fake', reducedSize: true },
    };
    producer.plainConsumers.add(this);
    this.once('close', () => producer.plainConsumers.delete(this));
  }

  get kind(): TrackKind {
    return this.producer.kind;
  }

  get producerId(): string {
    return this.producer.id;
  }

  get died(): boolean {
    return this.producer.died;
  }

  resume(): Promise<void> {
    return this.engine.call('resume', () => {
      this.paused = false;
    });
  }

  requestKeyframe(): Promise<void> {
    this.keyframeRequests++;
    return Promise.resolve();
  }

  stats(): Promise<RtpStreamStats> {
    return Promise.resolve({ ...ZERO_STATS });
  }
}

export class FakeTransport extends FakeObject<TransportEvents> implements MediaTransport {
  state: TransportState = 'new';
  iceParameters: IceParameters;
  readonly iceCandidates: readonly IceCandidate[] = [
    {
      foundation: 'udpcandidate',
      priority: 1076302079,
      address: '127.0.0.1',
      protocol: 'udp',
      port: 40000,
      type: 'host',
    },
  ];
  readonly dtlsParameters: DtlsParameters = {
    role: 'auto',
    fingerprints: [{ algorithm: 'sha-256', value: fakeFingerprint() }],
  };
  readonly producers = new Set<FakeProducer>();
  readonly consumers = new Set<FakeConsumer>();
  /** The client's DTLS parameters, once connect() gave them. */
  remoteDtls: DtlsParameters | null = null;
  /** Its worker died (FakeRouter.loseWorker, loseSatellite). */
  died = false;

  constructor(
    readonly router: FakeRouter,
    readonly role: 'publisher' | 'subscriber',
  ) {
    super('transport', router.engine);
    this.iceParameters = freshIce();
  }

  get connected(): boolean {
    return this.remoteDtls !== null;
  }

  connect(remote: DtlsParameters): Promise<void> {
    return this.engine.call('connect', () => {
      // The engine takes the client's parameters once; later SDPs carry the same ones.
      this.remoteDtls ??= remote;
    });
  }

  produce(options: ProduceOptions): Promise<MediaProducer> {
    return this.engine.call('produce', () => {
      if (this.closed) throw new Error('transport closed');
      const producer = new FakeProducer(
        options.kind,
        options.rtpParameters,
        this,
        options.paused ?? false,
      );
      this.producers.add(producer);
      producer.once('close', () => this.producers.delete(producer));
      return producer;
    });
  }

  consume(options: ConsumeOptions): Promise<MediaConsumer> {
    return this.engine.call('consume', () => {
      if (this.closed) throw new Error('transport closed');
      const producer = this.router.producer(options.producerId);
      if (!producer) throw new Error(`unknown producer ${options.producerId}`);
      // As the real engine's router.canConsume() check: refused, not a consumer sending nothing.
      if (!canConsume(producer.rtpParameters, options.rtpCapabilities)) {
        throw new Error(`the subscriber cannot decode producer ${producer.id}'s codec`);
      }
      const consumer = new FakeConsumer(producer, this, options.paused ?? false);
      this.consumers.add(consumer);
      consumer.once('close', () => this.consumers.delete(consumer));
      return consumer;
    });
  }

  restartIce(): Promise<IceParameters> {
    return this.engine.call('restartIce', () => {
      this.iceParameters = freshIce();
      return this.iceParameters;
    });
  }

  tryBitrate(): Promise<void> {
    return Promise.resolve();
  }

  probe(): Promise<void> {
    return Promise.resolve();
  }

  stats(): Promise<{ bytesIn: number; bytesOut: number }> {
    return Promise.resolve({ bytesIn: 0, bytesOut: 0 });
  }

  /** What the engine reports when ICE or DTLS gives up on the client. */
  fail(): void {
    this.state = 'failed';
    this.safeEmit('statechange', 'failed');
  }

  protected override closeChildren(): void {
    for (const consumer of [...this.consumers]) closeWithParent(consumer);
    for (const producer of [...this.producers]) closeWithParent(producer);
    this.state = 'closed';
  }
}

/**
 * A pipe end: its producers live on a hidden transport of the router (so the router's
 * consumers find them); `send` needs the producer on this router, as mediasoup does.
 */
export class FakePipe extends FakeObject<ClosableEvents> implements MediaPipe {
  readonly local: PipeTuple;
  remote: PipeTuple | null = null;
  readonly sent = new Set<string>();
  readonly #carrier: FakeTransport;

  constructor(readonly router: FakeRouter) {
    super('pipe', router.engine);
    this.local = {
      ip: '127.0.0.1',
      port: 20000 + (++counter % 40000),
      srtp: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: randomBytes(44).toString('base64') },
    };
    this.#carrier = new FakeTransport(router, 'publisher');
    router.transports.add(this.#carrier);
  }

  get died(): boolean {
    return this.#carrier.died;
  }

  connect(remote: PipeTuple): Promise<void> {
    return this.engine.call('connect', () => {
      if (this.remote) throw new Error('pipe already connected');
      this.remote = remote;
    });
  }

  send(producerId: string): Promise<PipedProducer> {
    return this.engine.call('consume', () => {
      if (this.closed) throw new Error('pipe closed');
      const producer = this.router.producer(producerId);
      if (!producer) throw new Error(`unknown producer ${producerId}`);
      this.sent.add(producerId);
      return {
        producerId,
        kind: producer.kind,
        rtpParameters: producer.rtpParameters,
        paused: producer.paused,
      };
    });
  }

  receive(piped: PipedProducer): Promise<MediaProducer> {
    return this.engine.call('produce', () => {
      if (this.closed) throw new Error('pipe closed');
      const producer = new FakeProducer(
        piped.kind,
        piped.rtpParameters,
        this.#carrier,
        piped.paused,
        piped.producerId,
      );
      this.#carrier.producers.add(producer);
      producer.once('close', () => this.#carrier.producers.delete(producer));
      return producer;
    });
  }

  unsend(producerId: string): void {
    this.sent.delete(producerId);
  }

  sending(): string[] {
    return [...this.sent];
  }

  stats(): Promise<PipeStats> {
    return Promise.resolve({ bytesIn: 0, bytesOut: 0, recvBitrate: 0, sendBitrate: 0 });
  }

  protected override closeChildren(): void {
    closeWithParent(this.#carrier);
    this.router.transports.delete(this.#carrier);
  }
}

export class FakeRouter extends FakeObject<MediaRouterEvents> implements MediaRouter {
  readonly rtpCapabilities: RtpCapabilities;
  readonly transports = new Set<FakeTransport>();
  readonly pipes = new Set<FakePipe>();

  constructor(engine: FakeEngine, codecs: readonly CodecCapability[] = FAKE_CODECS) {
    super('router', engine);
    this.rtpCapabilities = { codecs: [...codecs], headerExtensions: [] };
  }

  /** The router lives on (rebuilt on a replacement worker): it never closes 'worker-died'. */
  get died(): boolean {
    return false;
  }

  get workerPids(): readonly number[] {
    return [this.engine.pid];
  }

  createTransport(role: 'publisher' | 'subscriber'): Promise<MediaTransport> {
    return this.engine.call('createTransport', () => {
      if (this.closed) throw new Error('the room media router is closed');
      const transport = new FakeTransport(this, role);
      this.transports.add(transport);
      transport.once('close', () => this.transports.delete(transport));
      return transport;
    });
  }

  createPipe(): Promise<MediaPipe> {
    return this.engine.call('createTransport', () => {
      if (this.closed) throw new Error('the room media router is closed');
      const pipe = new FakePipe(this);
      this.pipes.add(pipe);
      pipe.once('close', () => this.pipes.delete(pipe));
      return pipe;
    });
  }

  createPlainConsumer(options: PlainConsumerOptions): Promise<MediaPlainConsumer> {
    return this.engine.call('consume', () => {
      if (this.closed) throw new Error('the room media router is closed');
      const producer = this.producer(options.producerId);
      if (!producer) throw new Error(`unknown producer ${options.producerId}`);
      return new FakePlainConsumer(producer, options);
    });
  }

  producer(id: string): FakeProducer | undefined {
    for (const transport of this.transports) {
      for (const producer of transport.producers) if (producer.id === id) return producer;
    }
    return undefined;
  }

  /** Load as a worker counts it: transports + producers + consumers. */
  get load(): number {
    let load = 0;
    for (const t of this.transports) load += 1 + t.producers.size + t.consumers.size;
    return load;
  }

  /**
   * Its (home) worker died: every transport with its producers and consumers closes at once
   * ('worker-died'), the router lives on. Resolves once the room was told what to rebuild,
   * on a later turn (the real engine first spawns a replacement and a new router).
   */
  loseWorker(): Promise<void> {
    return this.#lose([...this.transports]);
  }

  /**
   * A satellite worker died (a big room's subscriber transports spill onto other workers):
   * those subscriber transports and their consumers are lost, the producers stay.
   */
  loseSatellite(transports: Iterable<MediaTransport>): Promise<void> {
    const lost = [...this.transports].filter((t) => [...transports].includes(t));
    if (lost.some((t) => t.role !== 'subscriber')) {
      return Promise.reject(
        new Error('publisher transports live on the home worker, not a satellite'),
      );
    }
    return this.#lose(lost);
  }

  #lose(lost: FakeTransport[]): Promise<void> {
    const transportIds = lost.map((t) => t.id);
    const producerIds = lost.flatMap((t) => [...t.producers].map((p) => p.id));
    for (const transport of lost) transport.died = true;
    for (const transport of lost) transport.closeFor('worker-died');
    return new Promise((resolve) =>
      setImmediate(() => {
        // As MsRoomRouter.workerDied(): a room that lost nothing is not told.
        if (!this.closed && transportIds.length + producerIds.length > 0) {
          this.safeEmit('workerlost', { transportIds, producerIds });
        }
        resolve();
      }),
    );
  }

  protected override closeChildren(): void {
    for (const pipe of [...this.pipes]) closeWithParent(pipe);
    for (const transport of [...this.transports]) closeWithParent(transport);
  }
}

export class FakeEngine extends SafeEmitter<MediaEngineEvents> implements MediaEngine {
  readonly name = 'fake';
  readonly routers = new Set<FakeRouter>();
  pid = 1000;
  readonly latencyMs: number | undefined;
  readonly #failures = new Map<FakeCall, Error[]>();

  constructor(options: FakeEngineOptions = {}) {
    super();
    this.latencyMs = options.latencyMs;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  createRouter(codecs?: readonly CodecCapability[]): Promise<MediaRouter> {
    return this.call('createRouter', () => {
      const router = new FakeRouter(this, codecs);
      this.routers.add(router);
      router.once('close', () => this.routers.delete(router));
      return router;
    });
  }

  /** The next `call` rejects with `error` (queued: several fail in turn), changing nothing. */
  failNext(call: FakeCall, error = new Error(`${call} failed (FakeEngine.failNext)`)): void {
    const queued = this.#failures.get(call) ?? [];
    queued.push(error);
    this.#failures.set(call, queued);
  }

  /**
   * One engine call: after the latency, `work` runs (the state changes when the worker
   * answers, as with mediasoup) unless a failure was queued for it. Tests need not call this.
   */
  call<T>(name: FakeCall, work: () => T): Promise<T> {
    const answer = (): T => {
      const failure = this.#failures.get(name)?.shift();
      if (failure) throw failure;
      return work();
    };
    const latency = this.latencyMs;
    if (latency === undefined) {
      try {
        return Promise.resolve(answer());
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return new Promise<void>((resolve) => {
      if (latency === 0) setImmediate(resolve);
      else setTimeout(resolve, latency);
    }).then(answer);
  }

  workers(): WorkerInfo[] {
    let load = 0;
    for (const router of this.routers) load += router.load;
    return [{ pid: this.pid, load, routers: this.routers.size }];
  }

  /** Open transports + producers + consumers: zero once everything was torn down. */
  get load(): number {
    return this.workers()[0]!.load;
  }

  /**
   * The worker dies and a new one takes its place: what it carried closes at once, and on a
   * later turn the engine reports the death and each router what it lost (as the real
   * engine, which spawns the replacement first). Resolves once all were told.
   */
  async killWorker(): Promise<void> {
    const pid = this.pid++;
    const died = new Promise<void>((resolve) =>
      setImmediate(() => {
        this.safeEmit('workerdied', { pid, error: 'killed by the test', replacedBy: this.pid });
        resolve();
      }),
    );
    const lost = [...this.routers].map((router) => router.loseWorker());
    await Promise.all([died, ...lost]);
  }

  close(): Promise<void> {
    for (const router of [...this.routers]) router.close();
    return Promise.resolve();
  }
}

/**
 * Whether a client with `capabilities` can receive a stream sent with `parameters`: one of
 * its media codecs (not RTX) by MIME type and clock rate, a simpler form of mediasoup's check.
 */
function canConsume(parameters: RtpParameters, capabilities: RtpCapabilities): boolean {
  return parameters.codecs.some(
    (codec) =>
      !/\/rtx$/i.test(codec.mimeType) &&
      capabilities.codecs.some(
        (cap) =>
          cap.mimeType.toLowerCase() === codec.mimeType.toLowerCase() &&
          cap.clockRate === codec.clockRate,
      ),
  );
}

function freshIce(): IceParameters {
  return {
    usernameFragment: randomBytes(6).toString('hex'),
    password: randomBytes(16).toString('hex'),
    iceLite: true,
  };
}

function fakeFingerprint(): string {
  return [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
