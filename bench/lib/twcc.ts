/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01)
 * from a receive-only bench peer, as Chrome's receiver sends it: the arrival time of every
 * packet that carries a transport-wide sequence number, reported every 50 ms (Chrome's interval
 * at these bitrates). Without it the server's send-side bandwidth estimation runs on no feedback,
 * which is not what a real viewer costs it.
 */

/** Chrome's minimum feedback interval, which it uses above ~100 kbit/s. */
export const TWCC_INTERVAL_MS = 50;
/** The transport-wide sequence number's header extension. */
export const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** The extension's id in an offer (the same on every m-section of a bundle), or undefined. */
export function twccExtensionId(sdp: string): number | undefined {
  const m = sdp.match(/a=extmap:(\d+)(?:\/\w+)? (\S+)/g)?.find((line) => line.endsWith(TWCC_URI));
  return m ? Number(/a=extmap:(\d+)/.exec(m)![1]) : undefined;
}

/** The 16-bit value of header extension `id` in a clear RTP header, or -1. */
export function readExtension16(packet: Buffer, id: number): number {
  if (!(packet[0]! & 0x10)) return -1;
  const start = 12 + (packet[0]! & 0x0f) * 4;
  if (packet.length < start + 4) return -1;
  const profile = packet.readUInt16BE(start);
  const end = Math.min(packet.length, start + 4 + packet.readUInt16BE(start + 2) * 4);
  let i = start + 4;
  if (profile === 0xbede) {
    while (i < end) {
      const b = packet[i]!;
      if (b === 0) {
        i++;
        continue;
      }
      const elementId = b >> 4;
      const length = (b & 0x0f) + 1;
      if (elementId === 15) return -1;
      if (elementId === id) return length >= 2 && i + 3 <= end ? packet.readUInt16BE(i + 1) : -1;
      i += 1 + length;
    }
  } else if ((profile & 0xfff0) === 0x1000) {
    while (i + 1 < end) {
      const elementId = packet[i]!;
      if (elementId === 0) {
        i++;
        continue;
      }
      const length = packet[i + 1]!;
      if (elementId === id) return length >= 2 && i + 4 <= end ? packet.readUInt16BE(i + 2) : -1;
      i += 2 + length;
    }
  }
  return -1;
}

const TICK_US = 250;
const REFERENCE_US = 64_000;

/**
 * Collects (sequence number, arrival) pairs and serializes them as one RTCP transport-wide
 * feedback packet (RTPFB, FMT 15): run-length chunks, 250 µs deltas.
 */
export class TwccFeedback {
  #pending: { seq: number; atUs: number }[] = [];
  #highest = -1;
  #count = 0;

  constructor(
    private readonly senderSsrc: number,
    private readonly mediaSsrc: () => number,
  ) {}

  /** A packet with transport-wide sequence number `seq16` arrived at `atUs`. */
  record(seq16: number, atUs: number): void {
    // Unwrap around the highest number seen.
    let seq = seq16;
    if (this.#highest >= 0) {
      seq = (this.#highest & ~0xffff) | seq16;
      if (seq < this.#highest - 0x8000) seq += 0x10000;
      else if (seq > this.#highest + 0x8000) seq -= 0x10000;
    }
    if (seq > this.#highest) this.#highest = seq;
    this.#pending.push({ seq, atUs });
  }

  /** The feedback for what arrived since the last call, or null when nothing did. */
  take(): Buffer | null {
    if (this.#pending.length === 0) return null;
    const packets = this.#pending.sort((a, b) => a.seq - b.seq);
    this.#pending = [];
    const base = packets[0]!.seq;
    const statusCount = packets[packets.length - 1]!.seq - base + 1;
    if (statusCount > 0xffff) return null;
    const reference = Math.floor(packets[0]!.atUs / REFERENCE_US);
    // Status per sequence number (0 lost, 1 small delta, 2 large delta) and the deltas.
    const statuses = new Uint8Array(statusCount);
    const deltas: number[] = [];
    let previousTicks = Math.round((reference * REFERENCE_US) / TICK_US);
    let previousSeq = -1;
    for (const p of packets) {
      if (p.seq === previousSeq) continue; // a duplicate
      previousSeq = p.seq;
      const ticks = Math.round(p.atUs / TICK_US);
      const delta = Math.max(-32768, Math.min(32767, ticks - previousTicks));
      previousTicks = ticks;
      statuses[p.seq - base] = delta >= 0 && delta <= 255 ? 1 : 2;
      deltas.push(delta);
    }
    const chunks: number[] = [];
    for (let i = 0; i < statusCount;) {
      let run = 1;
      while (i + run < statusCount && statuses[i + run] === statuses[i] && run < 0x1fff) run++;
      chunks.push((statuses[i]! << 13) | run);
      i += run;
    }
    const deltaBytes = deltas.reduce((n, d) => n + (d >= 0 && d <= 255 ? 1 : 2), 0);
    const unpadded = 4 + 8 + 8 + chunks.length * 2 + deltaBytes;
    const length = Math.ceil(unpadded / 4) * 4;
    const out = Buffer.alloc(length);
    const padding = length - unpadded;
    out[0] = 0x80 | (padding ? 0x20 : 0) | 15;
    out[1] = 205;
    out.writeUInt16BE(length / 4 - 1, 2);
    out.writeUInt32BE(this.senderSsrc >>> 0, 4);
    out.writeUInt32BE(this.mediaSsrc() >>> 0, 8);
    out.writeUInt16BE(base & 0xffff, 12);
    out.writeUInt16BE(statusCount, 14);
    out.writeIntBE(reference & 0x7fffff, 16, 3);
    out[19] = this.#count++ & 0xff;
    let o = 20;
    for (const c of chunks) {
      out.writeUInt16BE(c, o);
      o += 2;
    }
    for (const d of deltas) {
      if (d >= 0 && d <= 255) out[o++] = d;
      else {
        out.writeInt16BE(d, o);
        o += 2;
      }
    }
    if (padding) out[length - 1] = padding;
    return out;
  }
}
