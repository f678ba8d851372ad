/**
 * MediaEngine on mediasoup: C++ worker processes (one per core by default), each room's media
 * on the least-loaded worker. A room whose worker is over `spillLoad` puts new subscriber
 * transports on the least-loaded other worker, and its producers are piped there
 * (`pipeToRouter`). A worker that dies is replaced at once; the rooms that lost objects are
 * told (`workerlost`) and rebuild them, their clients reconnect without re-joining.
 */
import { availableParallelism } from 'node:os';
import * as mediasoup from 'mediasoup';
import type * as ms from 'mediasoup/types';
import type { Logger } from 'pino';
import { SafeEmitter } from '../../util/TypedEmitter.js';
import type {
  MediaEngine,
  MediaEngineEvents,
  MediaPipe,
  MediaPlainConsumer,
  MediaRouter,
  MediaRouterEvents,
  MediaTransport,
  PlainConsumerOptions,
  WorkerInfo,
} from '../MediaEngine.js';
import type { CloseReason, CodecCapability, RtpCapabilities } from '../types.js';
import {
  fromMsRtpCapabilities,
  MsProducer,
  MsTransport,
  timed,
  toMsRtpCapabilities,
  type ConsumerFactory,
  type WorkerHealth,
} from './objects.js';
import { MsPipe } from './MsPipe.js';
import { MsPlainConsumer } from './MsPlainConsumer.js';

export interface MediasoupEngineOptions {
  /** Worker processes; default one per core. */
  workers?: number;
  /** Addresses to listen on for media (each gives an ICE candidate). */
  listenIps: string[];
  /** Address put in the candidates instead (public IP behind NAT); then listens on 0.0.0.0. */
  announcedIp?: string;
  portRange?: [number, number];
  /** Also accept ICE over TCP (firewalls that block UDP). */
  enableTcp?: boolean;
  /** Load (transports + producers + consumers) above which a room spills to another worker. */
  spillLoad?: number;
  log: Logger;
}

/** A codec capability as a router codec (rtcp feedback is the router's to decide). */
function toRouterCodec(codec: CodecCapability): ms.RouterRtpCodecCapability {
  return {
    kind: codec.kind,
    mimeType: codec.mimeType as ms.RouterRtpCodecCapability['mimeType'],
    clockRate: codec.clockRate,
    ...(codec.preferredPayloadType !== undefined
      ? { preferredPayloadType: codec.preferredPayloadType }
      : {}),
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    ...(codec.parameters ? { parameters: { ...codec.parameters } } : {}),
  };
}

/** Codecs every room offers: Opus, VP8 (every browser decodes it) and H264 (Safari, hardware). */
export const MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    // In-band FEC: loss is repaired from the next packet, no retransmission round trip.
    parameters: { useinbandfec: 1, minptime: 10 },
  },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '4d001f',
      'level-asymmetry-allowed': 1,
    },
  },
];

/** A few hundred forwarded streams per worker keep one core well below saturation. */
const DEFAULT_SPILL_LOAD = 600;

interface WorkerEntry extends WorkerHealth {
  worker: ms.Worker;
  /** Transports + producers + consumers open on it. */
  load: number;
  routers: number;
}

export class MediasoupEngine extends SafeEmitter<MediaEngineEvents> implements MediaEngine {
  readonly name = 'mediasoup';
  readonly #entries: WorkerEntry[] = [];
  readonly #rooms = new Set<MsRoomRouter>();
  #closed = false;

  constructor(readonly options: MediasoupEngineOptions) {
    super();
  }

  get log(): Logger {
    return this.options.log;
  }

  get spillLoad(): number {
    return this.options.spillLoad ?? DEFAULT_SPILL_LOAD;
  }

  async start(): Promise<void> {
    const count = Math.max(1, this.options.workers ?? availableParallelism());
    for (let i = 0; i < count; i++) await this.#spawn();
    this.log.info(
      { workers: this.#entries.map((e) => e.worker.pid), version: mediasoup.version },
      'media workers started',
    );
  }

  async #spawn(): Promise<WorkerEntry> {
    const [rtcMinPort, rtcMaxPort] = this.options.portRange ?? [40000, 49999];
    const worker = await timed(
      'createWorker',
      mediasoup.createWorker({ logLevel: 'error', rtcMinPort, rtcMaxPort }),
      15_000,
    );
    const entry: WorkerEntry = {
      worker,
      // mediasoup marks the worker dead before it closes its routers: children read this.
      get died() {
        return worker.died;
      },
      load: 0,
      routers: 0,
    };
    this.#entries.push(entry);
    worker.on('died', (error) => void this.#onDied(entry, error));
    return entry;
  }

  async #onDied(entry: WorkerEntry, error: Error): Promise<void> {
    const index = this.#entries.indexOf(entry);
    if (index >= 0) this.#entries.splice(index, 1);
    const pid = entry.worker.pid;
    this.log.error({ pid, err: error }, 'media worker died');
    if (this.#closed) return;
    let replacement: WorkerEntry | null = null;
    try {
      replacement = await this.#spawn();
    } catch (spawnError) {
      this.log.error({ err: spawnError }, 'could not replace the media worker');
    }
    this.safeEmit('workerdied', {
      pid,
      error: error.message,
      replacedBy: replacement?.worker.pid ?? null,
    });
    for (const room of [...this.#rooms]) await room.workerDied(entry);
  }

  /** The live worker with the least load (excluding `except`), or null when none is left. */
  leastLoaded(except?: WorkerEntry): WorkerEntry | null {
    let best: WorkerEntry | null = null;
    for (const entry of this.#entries) {
      if (entry === except || entry.died) continue;
      if (!best || entry.load < best.load) best = entry;
    }
    return best ?? (except && !except.died ? except : null);
  }

  async newRouterOn(
    entry: WorkerEntry,
    codecs: readonly CodecCapability[] | null = null,
  ): Promise<ms.Router> {
    const mediaCodecs = codecs ? codecs.map(toRouterCodec) : MEDIA_CODECS;
    const router = await timed('createRouter', entry.worker.createRouter({ mediaCodecs }));
    entry.routers++;
    router.observer.once('close', () => entry.routers--);
    return router;
  }

  async createRouter(codecs?: readonly CodecCapability[]): Promise<MediaRouter> {
    if (this.#closed) throw new Error('the media engine is closed');
    const entry = this.leastLoaded();
    if (!entry) throw new Error('no media worker is running');
    const room = new MsRoomRouter(this, entry, await this.newRouterOn(entry, codecs), codecs);
    this.#rooms.add(room);
    room.once('close', () => this.#rooms.delete(room));
    return room;
  }

  workers(): WorkerInfo[] {
    return this.#entries.map((e) => ({ pid: e.worker.pid, load: e.load, routers: e.routers }));
  }

  /** Where node-to-node pipes listen: UDP on the first media address (announced if set). */
  pipeListenInfo(): ms.TransportListenInfo {
    const { announcedIp, listenIps } = this.options;
    return {
      protocol: 'udp',
      ip: announcedIp ? '0.0.0.0' : (listenIps[0] ?? '127.0.0.1'),
      ...(announcedIp ? { announcedAddress: announcedIp } : {}),
    };
  }

  listenInfos(): ms.TransportListenInfo[] {
    const { announcedIp, listenIps, enableTcp } = this.options;
    const protocols: Array<'udp' | 'tcp'> = enableTcp ? ['udp', 'tcp'] : ['udp'];
    const ips = announcedIp ? ['0.0.0.0'] : listenIps;
    return protocols.flatMap((protocol) =>
      ips.map((ip) => ({
        protocol,
        ip,
        ...(announcedIp ? { announcedAddress: announcedIp } : {}),
      })),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const room of [...this.#rooms]) room.close();
    for (const entry of this.#entries.splice(0)) entry.worker.close();
  }
}

/** Counts an object against its worker's load while it lives. */
function track(
  entry: WorkerEntry,
  observer: { once(event: 'close', fn: () => void): unknown },
): void {
  entry.load++;
  observer.once('close', () => entry.load--);
}

/**
 * One room's media: a home router (publisher transports and producers) and, once the room
 * outgrows its worker, routers on other workers for subscriber transports, fed by pipes.
 */
class MsRoomRouter extends SafeEmitter<MediaRouterEvents> implements MediaRouter {
  readonly id: string;
  readonly rtpCapabilities: RtpCapabilities;
  #home: { entry: WorkerEntry; router: ms.Router };
  readonly #satellites = new Map<WorkerEntry, ms.Router>();
  /** Producers piped to a satellite router, by satellite. */
  readonly #piped = new Map<ms.Router, Map<string, Promise<void>>>();
  readonly #transports = new Map<string, { entry: WorkerEntry; transport: MsTransport }>();
  readonly #producers = new Map<string, MsProducer>();
  #closed = false;

  constructor(
    private readonly engine: MediasoupEngine,
    entry: WorkerEntry,
    router: ms.Router,
    /** Its own codecs (see MediaEngine.createRouter); null: the room codecs. */
    private readonly codecs: readonly CodecCapability[] | null = null,
  ) {
    super();
    this.id = router.id;
    this.#home = { entry, router };
    this.rtpCapabilities = fromMsRtpCapabilities(router.rtpCapabilities);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get workerPids(): readonly number[] {
    return [this.#home.entry, ...this.#satellites.keys()].map((e) => e.worker.pid);
  }

  async createTransport(role: 'publisher' | 'subscriber'): Promise<MediaTransport> {
    if (this.#closed) throw new Error('the room media router is closed');
    const { entry, router } = await this.#placeTransport(role);
    const inner = await timed(
      'createWebRtcTransport',
      router.createWebRtcTransport({
        listenInfos: this.engine.listenInfos(),
        // Chrome starts low and probes up; 1 Mbit/s lets a subscriber get a good picture at once.
        initialAvailableOutgoingBitrate: 1_000_000,
      }),
    );
    track(entry, inner.observer);
    inner.observer.on('newconsumer', (c) => track(entry, c.observer));
    const consumerFactory: ConsumerFactory = (transport, options) =>
      this.#consume(router, transport, options);
    const transport = new MsTransport(inner, entry, consumerFactory, (producer) => {
      track(entry, producer.inner.observer);
      this.#producers.set(producer.id, producer);
      // Lost with a worker: kept until workerDied() reports it.
      producer.once('close', (reason) => {
        if (reason !== 'worker-died') this.#producers.delete(producer.id);
      });
    });
    this.#transports.set(transport.id, { entry, transport });
    transport.once('close', (reason) => {
      if (reason !== 'worker-died') this.#transports.delete(transport.id);
    });
    return transport;
  }

  async createPipe(): Promise<MediaPipe> {
    if (this.#closed) throw new Error('the room media router is closed');
    const { entry, router } = this.#home;
    const inner = await timed(
      'createPipeTransport',
      router.createPipeTransport({
        listenInfo: this.engine.pipeListenInfo(),
        enableSrtp: true,
        enableRtx: true,
      }),
    );
    track(entry, inner.observer);
    inner.observer.on('newconsumer', (c) => track(entry, c.observer));
    return new MsPipe(inner, entry, (producer) => {
      track(entry, producer.inner.observer);
      this.#producers.set(producer.id, producer);
      producer.once('close', (reason) => {
        if (reason !== 'worker-died') this.#producers.delete(producer.id);
      });
    });
  }

  async createPlainConsumer(options: PlainConsumerOptions): Promise<MediaPlainConsumer> {
    if (this.#closed) throw new Error('the room media router is closed');
    if (!this.#producers.has(options.producerId)) {
      throw new Error(`unknown producer ${options.producerId}`);
    }
    // Producers live on the home router (publishers and pipes are made there).
    const { entry, router } = this.#home;
    const consumer = await MsPlainConsumer.create(router, entry, options);
    track(entry, { once: (_event, fn) => consumer.once('close', fn) });
    return consumer;
  }

  async #placeTransport(
    role: 'publisher' | 'subscriber',
  ): Promise<{ entry: WorkerEntry; router: ms.Router }> {
    const home = this.#home;
    if (role === 'publisher' || home.entry.load < this.engine.spillLoad) return home;
    const target = this.engine.leastLoaded(home.entry);
    if (!target || target === home.entry || target.load >= home.entry.load) return home;
    let router = this.#satellites.get(target);
    if (!router) {
      router = await this.engine.newRouterOn(target, this.codecs);
      this.#satellites.set(target, router);
      this.#piped.set(router, new Map());
      this.engine.log.info(
        { room: this.id, home: home.entry.worker.pid, satellite: target.worker.pid },
        'room spans another worker',
      );
    }
    return { entry: target, router };
  }

  async #consume(
    router: ms.Router,
    transport: ms.WebRtcTransport,
    options: Parameters<ConsumerFactory>[1],
  ): Promise<{ inner: ms.Consumer; producerId: string }> {
    const { producerId } = options;
    if (!this.#producers.has(producerId)) throw new Error(`unknown producer ${producerId}`);
    if (router !== this.#home.router) {
      const piped = this.#piped.get(router)!;
      let pipe = piped.get(producerId);
      if (!pipe) {
        pipe = timed(
          'pipeToRouter',
          this.#home.router.pipeToRouter({ producerId, router }).then(() => undefined),
        );
        piped.set(producerId, pipe);
        pipe.catch(() => piped.delete(producerId));
        this.#producers.get(producerId)!.once('close', () => piped.delete(producerId));
      }
      await pipe;
    }
    const rtpCapabilities = toMsRtpCapabilities(options.rtpCapabilities);
    if (!router.canConsume({ producerId, rtpCapabilities })) {
      throw new Error(`the subscriber cannot decode producer ${producerId}'s codec`);
    }
    const inner = await timed(
      'transport.consume',
      // enableRtx for audio too (mediasoup's default is video only): the subscriber may NACK
      // lost Opus packets and get them again, which on a lossy downlink is most of them.
      transport.consume({
        producerId,
        rtpCapabilities,
        paused: options.paused ?? false,
        enableRtx: true,
      }),
    );
    return { inner, producerId };
  }

  /** A worker died: rebuild the home router if it was there, and report what was lost. */
  async workerDied(dead: WorkerEntry): Promise<void> {
    if (this.#closed) return;
    const transportIds = [...this.#transports.values()]
      .filter((t) => t.entry === dead)
      .map((t) => t.transport.id);
    for (const id of transportIds) this.#transports.delete(id);
    let producerIds: string[] = [];
    const satellite = this.#satellites.get(dead);
    if (satellite) {
      this.#satellites.delete(dead);
      this.#piped.delete(satellite);
    }
    if (this.#home.entry === dead) {
      producerIds = [...this.#producers.keys()];
      this.#producers.clear();
      const entry = this.engine.leastLoaded();
      if (!entry) {
        this.#close('worker-died');
        return;
      }
      try {
        this.#home = { entry, router: await this.engine.newRouterOn(entry, this.codecs) };
      } catch (error) {
        this.engine.log.error({ err: error }, 'could not rebuild a room router');
        this.#close('worker-died');
        return;
      }
      // Pipes from the old home are gone with it.
      for (const piped of this.#piped.values()) piped.clear();
    }
    if (transportIds.length > 0 || producerIds.length > 0) {
      this.safeEmit('workerlost', { transportIds, producerIds });
    }
  }

  close(): void {
    this.#close('closed');
  }

  #close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const router of this.#satellites.values()) router.close();
    this.#satellites.clear();
    if (!this.#home.router.closed) this.#home.router.close();
    for (const { transport } of [...this.#transports.values()]) transport.close();
    this.safeEmit('close', reason);
  }
}
