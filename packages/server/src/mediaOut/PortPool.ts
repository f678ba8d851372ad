/**
 * Loopback UDP port pairs (RTP on an even port, its RTCP on the next) for media-out pipeline
 * inputs: each pair is handed to one input at a time, so no two pipelines ever read the
 * same port, and a port is first checked free by binding it.
 */
import { createSocket } from 'node:dgram';

export class PortPool {
  readonly #taken = new Set<number>();
  #next: number;

  constructor(
    private readonly min = 30000,
    private readonly max = 34999,
  ) {
    this.#next = min - (min % 2);
  }

  /** An even port whose pair is neither handed out nor bound by anything else now. */
  async take(): Promise<number> {
    const span = this.max - this.min;
    for (let i = 0; i < span; i += 2) {
      const port = this.#next;
      this.#next = port + 2 > this.max - 1 ? this.min - (this.min % 2) : port + 2;
      if (this.#taken.has(port)) continue;
      this.#taken.add(port);
      if ((await udpPortFree(port)) && (await udpPortFree(port + 1))) return port;
      this.#taken.delete(port);
    }
    throw new Error(`no free media-out port pair in ${this.min}-${this.max}`);
  }

  give(port: number): void {
    this.#taken.delete(port);
  }

  get inUse(): number {
    return this.#taken.size;
  }
}

/** Whether a UDP port of 127.0.0.1 can be bound now (nothing else reads it). */
export function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}
