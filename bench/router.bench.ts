/**
 * Router fan-out cost, per forwarded packet, against a baseline that forwards the same packets
 * with no routing logic at all (a loop calling sendRtp), side by side in one run. The engine
 * is a stub that counts packets, so this isolates Parley's routing from werift's SRTP/UDP cost.
 *
 *   npm run router -w @parley/bench [-- --packets 200000 --subscribers 10]
 */
import { parseArgs } from 'node:util';
import { EventEmitter } from 'node:events';
import { Router } from '../packages/server/dist/routing/Router.js';
import type { MediaEngine, RtpPacketLike } from '../packages/server/dist/media/MediaEngine.js';

const { values } = parseArgs({
  options: {
    packets: { type: 'string', default: '200000' },
    subscribers: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
  },
});
const PACKETS = Number(values.packets);
const SUBSCRIBERS = Number(values.subscribers);
const ROUNDS = Number(values.rounds);

/** Counts what would go on the wire; everything else is a no-op. */
class CountingEngine extends EventEmitter {
  sent = 0;
  listener: ((p: RtpPacketLike) => void) | null = null;
  onRtp(_trackId: string, listener: (p: RtpPacketLike) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }
  sendRtp(): void {
    this.sent++;
  }
  requestKeyframe(): void {}
}

/** VP8-like packets: a keyframe every 60 frames, 3 packets per frame. */
function makePackets(count: number): RtpPacketLike[] {
  const packets: RtpPacketLike[] = [];
  for (let i = 0; i < count; i++) {
    const frame = Math.floor(i / 3);
    const first = i % 3 === 0;
    const key = frame % 60 === 0;
    const payload = Buffer.alloc(1000);
    payload[0] = first ? 0x10 : 0x00;
    payload[1] = key ? 0x00 : 0x01;
    packets.push({
      header: {
        payloadType: 96,
        sequenceNumber: i & 0xffff,
        timestamp: frame * 3000,
        ssrc: 1,
        marker: i % 3 === 2,
      },
      payload,
    });
  }
  return packets;
}

function runRouter(packets: RtpPacketLike[]): number {
  const engine = new CountingEngine();
  const router = new Router(engine as unknown as MediaEngine);
  router.addSource('src', 'video', { mimeType: 'video/VP8', clockRate: 90000 });
  for (let s = 0; s < SUBSCRIBERS; s++) router.addSink(`sink${s}`, 'src', `t${s}`);
  for (let s = 0; s < SUBSCRIBERS; s++) router.setTransportConnected(`t${s}`, true);
  const start = process.hrtime.bigint();
  for (const packet of packets) engine.listener!(packet);
  const ns = Number(process.hrtime.bigint() - start);
  router.close();
  return ns / engine.sent;
}

function runBaseline(packets: RtpPacketLike[]): number {
  const engine = new CountingEngine();
  const sinks = Array.from({ length: SUBSCRIBERS }, (_, s) => `sink${s}`);
  const start = process.hrtime.bigint();
  for (let i = 0; i < packets.length; i++) {
    for (const sink of sinks) {
      void sink;
      engine.sendRtp();
    }
  }
  const ns = Number(process.hrtime.bigint() - start);
  return ns / engine.sent;
}

const packets = makePackets(PACKETS);
const router: number[] = [];
const baseline: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  baseline.push(runBaseline(packets));
  router.push(runRouter(packets));
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(
  `router fan-out: ${PACKETS} packets × ${SUBSCRIBERS} subscribers, ${ROUNDS} rounds (median)`,
);
console.log(`  baseline (bare loop)  ${median(baseline).toFixed(1)} ns per forwarded packet`);
console.log(`  Parley Router         ${median(router).toFixed(1)} ns per forwarded packet`);
const overhead = median(router) - median(baseline);
console.log(`  ratio Router/baseline ${(median(router) / median(baseline)).toFixed(1)}×`);
console.log(
  `  Router overhead       ${overhead.toFixed(1)} ns/packet = ${((overhead / 35_000) * 100).toFixed(2)}% of werift's ~35 µs/packet`,
);
