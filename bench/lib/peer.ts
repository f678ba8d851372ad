/**
 * Browserless WebRTC peers built on werift: a publisher that sends the pre-encoded media, and
 * receive-only peers that count and timestamp packets without decrypting or decoding most of
 * them (cheap enough to run hundreds on the machine the server also runs on).
 */
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useTransportWideCC,
  type RTCRtpTransceiver,
} from 'werift';
import type { Socket } from 'node:dgram';
import { loadMedia } from './media.js';
import { nowUs } from './proc.js';
import { TWCC_INTERVAL_MS, TwccFeedback, readExtension16, twccExtensionId } from './twcc.js';

/** Receive buffer of client sockets (the machine's rmem_max is 4 MiB). */
const CLIENT_RCVBUF = 4 * 1024 * 1024;
const OPUS_PT = 111;
const VP8_PT = 96;

/**
 * Receive-only peers answer transport-wide-cc and send its feedback, as Chrome does (set
 * PARLEY_BENCH_TWCC=0 to measure a server that gets none).
 */
export const SEND_TWCC = process.env.PARLEY_BENCH_TWCC !== '0';

function codecs(receiveOnly: boolean) {
  const twcc = receiveOnly && SEND_TWCC ? [{ type: 'transport-cc' }] : [];
  return {
    audio: [
      new RTCRtpCodecParameters({
        mimeType: 'audio/opus',
        clockRate: 48000,
        channels: 2,
        payloadType: OPUS_PT,
      }),
    ],
    video: [
      new RTCRtpCodecParameters({
        mimeType: 'video/VP8',
        clockRate: 90000,
        payloadType: VP8_PT,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, ...twcc],
      }),
    ],
  };
}

/**
 * A werift peer connection. Receive-only peers set werift's inbound drop rate so werift itself
 * never decrypts media: `ReceiveCounter` reads the clear RTP header of every packet instead.
 */
export function createPeer(receiveOnly: boolean): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: codecs(receiveOnly),
    headerExtensions:
      receiveOnly && SEND_TWCC
        ? { audio: [useTransportWideCC()], video: [useTransportWideCC()] }
        : { audio: [], video: [] },
    iceServers: [],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
    // werift drops an inbound packet when inboundPacketLoss / 100 < Math.random(): ~always.
    ...(receiveOnly ? { debug: { inboundPacketLoss: 1e-9 } } : {}),
  });
}

/** Sets the local description and waits for ICE gathering, so the SDP carries the candidates. */
export async function setLocalAndGather(
  pc: RTCPeerConnection,
  description: Awaited<ReturnType<RTCPeerConnection['createOffer']>>,
): Promise<string> {
  const gathered = new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') resolve();
    });
  });
  await pc.setLocalDescription(description);
  await Promise.race([gathered, new Promise((r) => setTimeout(r, 2000))]);
  return pc.localDescription!.sdp;
}

export function waitConnected(pc: RTCPeerConnection, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pc.connectionState === 'connected') return resolve();
    const timer = setTimeout(() => reject(new Error('peer connection timed out')), timeoutMs);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        resolve();
      } else if (state === 'failed') {
        clearTimeout(timer);
        reject(new Error('peer connection failed'));
      }
    });
  });
}

/** Identifies a media packet by its payload: length and last 4 bytes (high-entropy media). */
export function payloadKey(payload: Buffer): number {
  return payload.length < 4
    ? -1
    : payload.length * 4294967296 + payload.readUInt32BE(payload.length - 4);
}

/** Payload of a clear RTP packet (after SRTP decryption). */
function rtpPayload(packet: Buffer): Buffer {
  const cc = packet[0]! & 0x0f;
  let offset = 12 + cc * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[end - 1]!;
  return packet.subarray(offset, end);
}

interface StreamCount {
  kind: 'audio' | 'video';
  base: number;
  maxExt: number;
  received: number;
}

export interface CounterSnapshot {
  /** Media packets received (audio + video, RTX excluded). */
  received: number;
  /** Packets the sequence numbers say were sent (max - first + 1, per SSRC). */
  expected: number;
  byKind: { audio: number; video: number };
  /** What else the server sent on this connection: costs it CPU, but is not forwarded media. */
  wire: WireCount;
}

/** Packets and bytes (SRTP/SRTCP, as on the wire) a subscriber received, by what they are. */
export interface WireCount {
  mediaBytes: number;
  /** Retransmissions (an RTX payload type of the offer). */
  rtx: number;
  rtxBytes: number;
  /** Other RTP: bandwidth probes and padding (mediasoup's probator: SSRC 1234, PT 127). */
  probe: number;
  probeBytes: number;
  rtcp: number;
  rtcpBytes: number;
  /** Transport-wide feedback packets this subscriber sent (not received). */
  feedbackSent: number;
}

export const emptyWire = (): WireCount => ({
  mediaBytes: 0,
  rtx: 0,
  rtxBytes: 0,
  probe: 0,
  probeBytes: 0,
  rtcp: 0,
  rtcpBytes: 0,
  feedbackSent: 0,
});

/**
 * Counts the media packets of one receive-only peer from their clear SRTP headers, and
 * decrypts every 16th (by sequence number) to timestamp it by payload for latency.
 */
export class ReceiveCounter {
  readonly streams = new Map<number, StreamCount>();
  /** [payloadKey, arrival µs] of sampled packets since the last `takeSamples`. */
  samples: number[] = [];
  sampling = false;
  #kinds = new Map<number, 'audio' | 'video'>();
  #rtxTypes = new Set<number>();
  readonly #wire = emptyWire();
  #twccId: number | undefined;
  #twcc: TwccFeedback | undefined;
  #lastSsrc = 0;

  constructor(private readonly pc: RTCPeerConnection) {}

  /** Learns payload types from the remote SDP (opus → audio, VP8 → video). */
  learn(sdp: string): void {
    for (const m of sdp.matchAll(/a=rtpmap:(\d+) (opus|VP8)\//gi)) {
      this.#kinds.set(Number(m[1]), m[2]!.toLowerCase() === 'opus' ? 'audio' : 'video');
    }
    for (const m of sdp.matchAll(/a=rtpmap:(\d+) rtx\//gi)) this.#rtxTypes.add(Number(m[1]));
    if (SEND_TWCC) this.#twccId = twccExtensionId(sdp) ?? this.#twccId;
  }

  attach(transceiver: RTCRtpTransceiver): void {
    const dtls = transceiver.receiver.dtlsTransport;
    // A client is a measuring device: give its sockets room for bursts (a keyframe to every
    // subscriber at once) so that what it counts as lost was lost before it, not in it.
    const ice = dtls.iceTransport.connection as unknown as {
      protocols?: { transport?: { socket?: Socket } }[];
    };
    for (const p of ice.protocols ?? []) {
      try {
        p.transport?.socket?.setRecvBufferSize(CLIENT_RCVBUF);
      } catch {
        // not bound yet: keep the default
      }
    }
    dtls.iceTransport.connection.onData.subscribe((data: Buffer) => {
      if (data.length < 12 || data[0]! >> 6 !== 2) return;
      const pt = data[1]! & 0x7f;
      const wire = this.#wire;
      if (data[1]! >= 192 && data[1]! <= 223) {
        wire.rtcp++;
        wire.rtcpBytes += data.length;
        return;
      }
      if (this.#twccId !== undefined) {
        // Every RTP packet that carries a transport-wide number is reported, probes included.
        const twccSeq = readExtension16(data, this.#twccId);
        if (twccSeq >= 0) {
          this.#lastSsrc = data.readUInt32BE(8);
          this.#twcc ??= this.#startTwcc(dtls);
          this.#twcc.record(twccSeq, nowUs());
        }
      }
      const kind = this.#kinds.get(pt);
      if (!kind) {
        if (this.#rtxTypes.has(pt)) {
          wire.rtx++;
          wire.rtxBytes += data.length;
        } else {
          wire.probe++;
          wire.probeBytes += data.length;
        }
        return;
      }
      wire.mediaBytes += data.length;
      const seq = data.readUInt16BE(2);
      const ssrc = data.readUInt32BE(8);
      let s = this.streams.get(ssrc);
      if (!s) {
        s = { kind, base: seq, maxExt: seq, received: 0 };
        this.streams.set(ssrc, s);
      }
      s.received++;
      // Extend the sequence number around the highest seen.
      let ext = (s.maxExt & ~0xffff) | seq;
      if (ext < s.maxExt - 0x8000) ext += 0x10000;
      else if (ext > s.maxExt + 0x8000) ext -= 0x10000;
      if (ext > s.maxExt) s.maxExt = ext;
      if (this.sampling && (seq & 15) === 0 && dtls.srtp) {
        const at = nowUs();
        try {
          this.samples.push(payloadKey(rtpPayload(dtls.srtp.decrypt(data))), at);
        } catch {
          // not decryptable (should not happen): no sample
        }
      }
    });
  }

  #startTwcc(dtls: RTCRtpTransceiver['receiver']['dtlsTransport']): TwccFeedback {
    const feedback = new TwccFeedback((Math.random() * 0xffffffff) >>> 0, () => this.#lastSsrc);
    feedbackSenders.set(this, () => {
      const packet = feedback.take();
      if (packet && dtls.srtcp) {
        this.#wire.feedbackSent++;
        dtls.iceTransport.connection.send(dtls.srtcp.encrypt(packet)).catch(() => undefined);
      }
    });
    return feedback;
  }

  snapshot(): CounterSnapshot {
    let received = 0;
    let expected = 0;
    const byKind = { audio: 0, video: 0 };
    for (const s of this.streams.values()) {
      received += s.received;
      expected += s.maxExt - s.base + 1;
      byKind[s.kind] += s.received;
    }
    return { received, expected, byKind, wire: { ...this.#wire } };
  }

  close(): Promise<void> {
    feedbackSenders.delete(this);
    return this.pc.close();
  }
}

/** One timer per client process sends every receiver's transport-wide feedback. */
const feedbackSenders = new Map<ReceiveCounter, () => void>();
setInterval(() => {
  for (const send of feedbackSenders.values()) send();
}, TWCC_INTERVAL_MS).unref();

/** What a publisher peer sends: one audio and one video track fed by `MediaPump`. */
export interface PublisherTracks {
  audio: MediaStreamTrack;
  video: MediaStreamTrack;
}

export function addPublisherTracks(pc: RTCPeerConnection): PublisherTracks {
  const audio = new MediaStreamTrack({ kind: 'audio' });
  const video = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(audio, { direction: 'sendonly' });
  pc.addTransceiver(video, { direction: 'sendonly' });
  return { audio, video };
}

/**
 * Sends the media loop in real time to every attached publisher, each from its own point in
 * the loop (`phaseMs`), so that publishers' keyframes do not all fall on the same instant.
 * With `record`, keeps the send time of each packet by payload key (the last 3 sends, as the
 * loop repeats its payloads).
 */
export class MediaPump {
  readonly #targets = new Map<PublisherTracks, Cursor>();
  readonly sent = new Map<number, number[]>();
  packetsSent = { audio: 0, video: 0 };
  #timer: NodeJS.Timeout | undefined;
  #stopAt = 0;
  #start = 0;

  constructor(private readonly record: boolean) {}

  /** Adds a publisher; `phaseMs` (default random) is where in the loop it starts. */
  add(target: PublisherTracks, phaseMs = Math.random() * loadMedia().loopMs): void {
    const media = loadMedia();
    const elapsed = this.#start ? performance.now() - this.#start : 0;
    // Its clock: loop time = elapsed + offset; start at the first packet at or after phaseMs.
    const offset = phaseMs - elapsed;
    let next = media.packets.findIndex((p) => p.atMs >= phaseMs);
    if (next < 0) next = 0;
    this.#targets.set(target, { offset, next, loop: 0, seq: { audio: 1000, video: 5000 } });
  }

  /** Runs until stop() or `maxMs` (a bound so it always ends). */
  start(maxMs: number): void {
    const media = loadMedia();
    const packets = media.packets;
    const keys = packets.map((p) => payloadKey(p.payload));
    this.#start = performance.now();
    this.#stopAt = this.#start + maxMs;
    const tick = () => {
      const now = performance.now();
      if (now > this.#stopAt) return;
      for (const [target, c] of this.#targets) {
        const loopTime = now - this.#start + c.offset;
        while (c.loop * media.loopMs + packets[c.next]!.atMs <= loopTime) {
          const p = packets[c.next]!;
          const header = new RtpHeader({
            payloadType: p.kind === 'audio' ? OPUS_PT : VP8_PT,
            sequenceNumber: c.seq[p.kind]++ & 0xffff,
            timestamp:
              (p.rtpTs + c.loop * (p.kind === 'audio' ? 48 : 90) * media.loopMs) % 4294967296,
            marker: p.marker,
            ssrc: p.kind === 'audio' ? 1111 : 2222,
          });
          if (this.record) {
            const times = this.sent.get(keys[c.next]!) ?? [];
            times.push(nowUs());
            if (times.length > 3) times.shift();
            this.sent.set(keys[c.next]!, times);
          }
          target[p.kind].writeRtp(new RtpPacket(header, p.payload));
          this.packetsSent[p.kind]++;
          if (++c.next === packets.length) {
            c.next = 0;
            c.loop++;
          }
        }
      }
      this.#timer = setTimeout(tick, 2);
    };
    tick();
  }

  /** Send time of the packet with this key that arrived at `arrivalUs`. */
  sendTime(key: number, arrivalUs: number): number | undefined {
    const times = this.sent.get(key);
    if (!times) return undefined;
    let best: number | undefined;
    for (const t of times) if (t <= arrivalUs && (best === undefined || t > best)) best = t;
    return best;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#stopAt = 0;
  }
}

interface Cursor {
  /** Loop time minus time since the pump started, ms. */
  offset: number;
  next: number;
  loop: number;
  seq: { audio: number; video: number };
}
