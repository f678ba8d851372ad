/**
 * A producer sent as plain RTP to a local media-out process: one mediasoup PlainTransport
 * (no comedia, RTCP on its own port) with one consumer on it. Closing it closes both.
 */
import type { TrackKind } from '@parley/protocol';
import type * as ms from 'mediasoup/types';
import type { ClosableEvents, MediaPlainConsumer, PlainConsumerOptions } from '../MediaEngine.js';
import type { RtpParameters, RtpStreamStats } from '../types.js';
import { fromMsRtpParameters, timed, Wrapped, type WorkerHealth } from './objects.js';

export class MsPlainConsumer extends Wrapped<ClosableEvents> implements MediaPlainConsumer {
  readonly rtpParameters: RtpParameters;

  private constructor(
    private readonly transport: ms.PlainTransport,
    private readonly inner: ms.Consumer,
    health: WorkerHealth,
  ) {
    super();
    this.rtpParameters = fromMsRtpParameters(inner.rtpParameters);
    const parentClosed = () => {
      if (!transport.closed) transport.close();
      this.markClosed(health.died ? 'worker-died' : 'parent-closed');
    };
    inner.on('transportclose', parentClosed);
    inner.on('producerclose', parentClosed);
  }

  /** Makes the transport and the consumer on `router` (where the producer lives). */
  static async create(
    router: ms.Router,
    health: WorkerHealth,
    options: PlainConsumerOptions,
  ): Promise<MsPlainConsumer> {
    const transport = await timed(
      'createPlainTransport',
      router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: false,
        comedia: false,
      }),
    );
    try {
      await timed(
        'plainTransport.connect',
        transport.connect({ ip: options.ip, port: options.port, rtcpPort: options.rtcpPort }),
      );
      const inner = await timed(
        'plainTransport.consume',
        transport.consume({
          producerId: options.producerId,
          // The router's own capabilities: the consumer sends the producer's codec as is.
          rtpCapabilities: router.rtpCapabilities,
          paused: options.paused ?? false,
        }),
      );
      return new MsPlainConsumer(transport, inner, health);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  get id(): string {
    return this.inner.id;
  }
  get kind(): TrackKind {
    return this.inner.kind;
  }
  get producerId(): string {
    return this.inner.producerId;
  }

  resume(): Promise<void> {
    return timed('consumer.resume', this.inner.resume());
  }
  requestKeyframe(): Promise<void> {
    return timed('consumer.requestKeyFrame', this.inner.requestKeyFrame());
  }

  async stats(): Promise<RtpStreamStats> {
    const list = await timed('consumer.getStats', this.inner.getStats());
    const out = list.filter((s) => s.type === 'outbound-rtp') as ms.RtpStreamSendStats[];
    return {
      packets: out.reduce((n, s) => n + s.packetCount, 0),
      bytes: out.reduce((n, s) => n + s.byteCount, 0),
      packetsLost: out.reduce((n, s) => n + s.packetsLost, 0),
      nackCount: out.reduce((n, s) => n + s.nackCount, 0),
      pliCount: out.reduce((n, s) => n + s.pliCount, 0),
      firCount: out.reduce((n, s) => n + s.firCount, 0),
      bitrate: out.reduce((n, s) => n + s.bitrate, 0),
      score: Math.max(0, ...out.map((s) => s.score)),
    };
  }

  close(): void {
    if (!this.transport.closed) this.transport.close();
    this.markClosed('closed');
  }
}
