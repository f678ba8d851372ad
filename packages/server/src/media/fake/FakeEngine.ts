/**
 * A MediaEngine without a worker, for in-process tests of the room layer: routers,
 * transports, producers and consumers are plain objects that keep the engine's bookkeeping
 * (ids, paused, closed, parent-closes-children, the load a worker would count) and carry no
 * media. Tests drive what a real worker would do on its own: a transport that fails
 * (`FakeTransport.fail()`), a worker that dies (`FakeEngine.killWorker()`).
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
  MediaRouter,
  MediaRouterEvents,
  MediaTransport,
  ProduceOptions,
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

/** The part every fake engine object shares: an id, `closed`, and a close that says why. */
abstract class FakeObject<E extends ClosableEvents & EventMap<E>> extends SafeEmitter<E> {
  readonly id: string;
  #closed = false;

  constructor(prefix: string) {
    super();
    this.id = nextId(prefix);
  }

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

export class FakeProducer extends FakeObject<ProducerEvents> implements MediaProducer {
  paused: boolean;
  /** Consumers fed by it: they close with it (mediasoup's `producerclose`). */
  readonly consumers = new Set<FakeConsumer>();

  constructor(
    readonly kind: TrackKind,
    readonly rtpParameters: RtpParameters,
    readonly transport: FakeTransport,
    paused: boolean,
  ) {
    super('producer');
    this.paused = paused;
  }

  pause(): Promise<void> {
    this.paused = true;
    return Promise.resolve();
  }

  resume(): Promise<void> {
    this.paused = false;
    return Promise.resolve();
  }

  /** No frames flow here: the work runs on the next turn. */
  afterNextFrame(work: () => void): void {
    setImmediate(work);
  }

  stats(): Promise<RtpStreamStats> {
    return Promise.resolve({ ...ZERO_STATS });
  }

  protected override closeChildren(): void {
    for (const consumer of [...this.consumers]) consumer.closeFor('parent-closed');
  }
}

export class FakeConsumer extends FakeObject<ConsumerEvents> implements MediaConsumer {
  paused: boolean;
  readonly rtpParameters: RtpParameters;
  /** The last setPreferredLayers() asked (null: never). */
  preferredLayers: { spatial: number; temporal?: number } | null = null;
  keyframeRequests = 0;

  constructor(
    readonly producer: FakeProducer,
    paused: boolean,
  ) {
    super('consumer');
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

  pause(): Promise<void> {
    this.paused = true;
    return Promise.resolve();
  }

  resume(): Promise<void> {
    this.paused = false;
    return Promise.resolve();
  }

  requestKeyframe(): Promise<void> {
    this.keyframeRequests++;
    return Promise.resolve();
  }

  setPreferredLayers(layers: { spatial: number; temporal?: number }): Promise<void> {
    this.preferredLayers = layers;
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

  constructor(
    readonly router: FakeRouter,
    readonly role: 'publisher' | 'subscriber',
  ) {
    super('transport');
    this.iceParameters = freshIce();
  }

  get connected(): boolean {
    return this.remoteDtls !== null;
  }

  connect(remote: DtlsParameters): Promise<void> {
    // The engine takes the client's parameters once; later SDPs carry the same ones.
    this.remoteDtls ??= remote;
    return Promise.resolve();
  }

  produce(options: ProduceOptions): Promise<MediaProducer> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const producer = new FakeProducer(
      options.kind,
      options.rtpParameters,
      this,
      options.paused ?? false,
    );
    this.producers.add(producer);
    producer.once('close', () => this.producers.delete(producer));
    return Promise.resolve(producer);
  }

  consume(options: ConsumeOptions): Promise<MediaConsumer> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    const producer = this.router.producer(options.producerId);
    if (!producer) return Promise.reject(new Error(`no producer ${options.producerId}`));
    const consumer = new FakeConsumer(producer, options.paused ?? false);
    this.consumers.add(consumer);
    consumer.once('close', () => this.consumers.delete(consumer));
    return Promise.resolve(consumer);
  }

  restartIce(): Promise<IceParameters> {
    this.iceParameters = freshIce();
    return Promise.resolve(this.iceParameters);
  }

  /** Estimates tried (see MediaTransport.tryBitrate). */
  readonly triedBitrates: number[] = [];

  tryBitrate(bps: number): Promise<void> {
    this.triedBitrates.push(bps);
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
    for (const consumer of [...this.consumers]) consumer.closeFor('parent-closed');
    for (const producer of [...this.producers]) producer.closeFor('parent-closed');
    this.state = 'closed';
  }
}

export class FakeRouter extends FakeObject<MediaRouterEvents> implements MediaRouter {
  readonly rtpCapabilities: RtpCapabilities = { codecs: [...FAKE_CODECS], headerExtensions: [] };
  readonly transports = new Set<FakeTransport>();

  constructor(readonly engine: FakeEngine) {
    super('router');
  }

  get workerPids(): readonly number[] {
    return [this.engine.pid];
  }

  createTransport(role: 'publisher' | 'subscriber'): Promise<MediaTransport> {
    if (this.closed) return Promise.reject(new Error('router closed'));
    const transport = new FakeTransport(this, role);
    this.transports.add(transport);
    transport.once('close', () => this.transports.delete(transport));
    return Promise.resolve(transport);
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
   * Its worker died and was replaced: every transport (with its producers and consumers) is
   * gone, the router lives on, and the room is told what to rebuild.
   */
  loseWorker(): void {
    const transportIds: string[] = [];
    const producerIds: string[] = [];
    for (const transport of [...this.transports]) {
      transportIds.push(transport.id);
      for (const producer of transport.producers) producerIds.push(producer.id);
      transport.closeFor('worker-died');
    }
    this.safeEmit('workerlost', { transportIds, producerIds });
  }

  protected override closeChildren(): void {
    for (const transport of [...this.transports]) transport.closeFor('parent-closed');
  }
}

export class FakeEngine extends SafeEmitter<MediaEngineEvents> implements MediaEngine {
  readonly name = 'fake';
  readonly routers = new Set<FakeRouter>();
  pid = 1000;
  /** Routers created so far (a room's media is made once, when first needed). */
  routersCreated = 0;

  start(): Promise<void> {
    return Promise.resolve();
  }

  createRouter(): Promise<MediaRouter> {
    const router = new FakeRouter(this);
    this.routersCreated++;
    this.routers.add(router);
    router.once('close', () => this.routers.delete(router));
    return Promise.resolve(router);
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

  /** The worker dies and a new one takes its place: each router loses what it carried. */
  killWorker(): void {
    const pid = this.pid++;
    this.safeEmit('workerdied', { pid, error: 'killed by the test', replacedBy: this.pid });
    for (const router of [...this.routers]) router.loseWorker();
  }

  close(): Promise<void> {
    for (const router of [...this.routers]) router.close();
    return Promise.resolve();
  }
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
