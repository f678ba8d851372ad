#!/usr/bin/env node
/**
 * Smoke test for the installed mediasoup-worker: `node scripts/mediasoup/smoke.mjs`.
 * Starts a worker, a router with opus + VP8 and two WebRtcTransports on 127.0.0.1, asks for
 * the worker's resource usage, then sends RTP through two SRTP PlainTransports connected to
 * each other (once per crypto suite), which exercises the patched libsrtp2 code both ways.
 * DTLS needs a real peer (a browser): not covered here.
 */
/* global setTimeout */
import { Buffer } from 'node:buffer';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

// mediasoup is a dependency of packages/server, not of the root package.
const require = createRequire(new URL('../../packages/server/package.json', import.meta.url));
const mediasoup = require('mediasoup');

const worker = await mediasoup.createWorker({ logLevel: 'warn' });
const router = await worker.createRouter({
  mediaCodecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  ],
});
const webRtcTransports = await Promise.all(
  [1, 2].map(() =>
    router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] }),
  ),
);
for (const transport of webRtcTransports) {
  assert.equal(transport.iceCandidates[0].ip, '127.0.0.1');
  assert.ok(transport.dtlsParameters.fingerprints.length > 0);
}
const usage = await worker.getResourceUsage();
assert.equal(typeof usage.ru_maxrss, 'number');
console.log(
  `worker pid ${worker.pid}: router ${router.id.slice(0, 8)}, WebRtcTransports on ports ` +
    `${webRtcTransports.map((t) => t.iceCandidates[0].port).join(', ')}, ` +
    `maxrss ${usage.ru_maxrss} kB`,
);

// RTP: DirectTransport producer -> PlainTransport A =(SRTP over UDP)=> PlainTransport B ->
// producer on B -> consumer on a DirectTransport, which must get every packet back.
for (const srtpCryptoSuite of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM']) {
  const direct = await router.createDirectTransport();
  const [a, b] = await Promise.all(
    [1, 2].map(() =>
      router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite,
      }),
    ),
  );
  await a.connect({
    ip: '127.0.0.1',
    port: b.tuple.localPort,
    srtpParameters: b.srtpParameters,
  });
  await b.connect({
    ip: '127.0.0.1',
    port: a.tuple.localPort,
    srtpParameters: a.srtpParameters,
  });
  const source = await direct.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 1111 }],
    },
  });
  const overSrtp = await a.consume({
    producerId: source.id,
    rtpCapabilities: router.rtpCapabilities,
  });
  const relayed = await b.produce({ kind: 'audio', rtpParameters: overSrtp.rtpParameters });
  const sink = await direct.consume({
    producerId: relayed.id,
    rtpCapabilities: router.rtpCapabilities,
  });
  const received = [];
  sink.on('rtp', (packet) => received.push(packet));

  const count = 50;
  for (let seq = 0; seq < count; seq++) {
    const packet = Buffer.alloc(12 + 100, seq);
    packet.writeUInt8(0x80, 0);
    packet.writeUInt8(100, 1);
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE(seq * 960, 4);
    packet.writeUInt32BE(1111, 8);
    source.send(packet);
  }
  for (let waited = 0; received.length < count && waited < 3000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(received.length, count, `${srtpCryptoSuite}: RTP packets back`);
  // Same payload bytes after encryption and decryption (the header is rewritten by mediasoup).
  assert.deepEqual(received[7].subarray(-100), Buffer.alloc(100, 7));
  const stats = await b.getStats();
  console.log(
    `SRTP ${srtpCryptoSuite}: ${received.length}/${count} packets through, ` +
      `${stats[0].bytesReceived} bytes received encrypted`,
  );
  for (const transport of [direct, a, b]) transport.close();
}

worker.close();
console.log('mediasoup smoke test passed');
