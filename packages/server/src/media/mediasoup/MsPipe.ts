/**
 * A node-to-node media pipe end on mediasoup: a PipeTransport on the room's home router, SRTP
 * and RTX on (the other end is another machine: losses are repaired, media is encrypted).
 */
import type * as ms from 'mediasoup/types';
import type {
  ClosableEvents,
  MediaPipe,
  PipeStats,
  PipeTuple,
  PipedProducer,
} from '../MediaEngine.js';
import type { CloseReason } from '../types.js';
import {
  fromMsRtpParameters,
  MsProducer,
  timed,
  toMsRtpParameters,
  Wrapped,
  type WorkerHealth,
} from './objects.js';

export class MsPipe extends Wrapped<ClosableEvents> implements MediaPipe {
  readonly local: PipeTuple;
  /** Pipe consumers by producer id: what this end forwards. */
  readonly #consumers = new Map<string, ms.Consumer>();

  constructor(
    readonly inner: ms.PipeTransport,
    private readonly health: WorkerHealth,
    /** Registers a producer received over the pipe with the room's router (consumable there). */
    private readonly adopt: (producer: MsProducer) => void,
    /**
     * A received producer takes the sender's id (another node's, so the cluster can name it
     * alike); false for a pipe within this machine, where both routers may share a worker,
     * which refuses a second producer of the same id.
     */
    private readonly keepIds = true,
  ) {
    super();
    const srtp = inner.srtpParameters;
    if (!srtp) throw new Error('pipe transport without SRTP parameters');
    this.local = {
      ip: inner.tuple.localAddress,
      port: inner.tuple.localPort,
      srtp: { cryptoSuite: srtp.cryptoSuite, keyBase64: srtp.keyBase64 },
    };
    inner.on('routerclose', () => this.#closedBy(health.died ? 'worker-died' : 'parent-closed'));
  }

  get id(): string {
    return this.inner.id;
  }

  connect(remote: PipeTuple): Promise<void> {
    return timed(
      'pipeTransport.connect',
      this.inner.connect({
        ip: remote.ip,
        port: remote.port,
        srtpParameters: {
          cryptoSuite: remote.srtp.cryptoSuite as ms.SrtpCryptoSuite,
          keyBase64: remote.srtp.keyBase64,
        },
      }),
    );
  }

  async send(producerId: string): Promise<PipedProducer> {
    let consumer = this.#consumers.get(producerId);
    if (!consumer || consumer.closed) {
      const made = await timed('pipeTransport.consume', this.inner.consume({ producerId }));
      consumer = made;
      this.#consumers.set(producerId, made);
      made.observer.once('close', () => {
        if (this.#consumers.get(producerId) === made) this.#consumers.delete(producerId);
      });
    }
    return {
      producerId,
      kind: consumer.kind,
      rtpParameters: fromMsRtpParameters(consumer.rtpParameters),
      paused: consumer.producerPaused,
    };
  }

  unsend(producerId: string): void {
    this.#consumers.get(producerId)?.close();
  }

  sending(): string[] {
    return [...this.#consumers.keys()];
  }

  async receive(piped: PipedProducer): Promise<MsProducer> {
    const inner = await timed(
      'pipeTransport.produce',
      this.inner.produce({
        ...(this.keepIds ? { id: piped.producerId } : {}),
        kind: piped.kind,
        rtpParameters: toMsRtpParameters(piped.rtpParameters),
        paused: piped.paused,
      }),
    );
    const producer = new MsProducer(inner, this.health);
    this.adopt(producer);
    return producer;
  }

  async stats(): Promise<PipeStats> {
    const [s] = await timed('pipeTransport.getStats', this.inner.getStats());
    return {
      bytesIn: s?.bytesReceived ?? 0,
      bytesOut: s?.bytesSent ?? 0,
      recvBitrate: s?.recvBitrate ?? 0,
      sendBitrate: s?.sendBitrate ?? 0,
    };
  }

  close(): void {
    if (!this.inner.closed) this.inner.close();
    this.#closedBy('closed');
  }

  #closedBy(reason: CloseReason): void {
    this.markClosed(reason);
  }
}
