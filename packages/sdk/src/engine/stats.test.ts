import { describe, expect, it } from 'vitest';
import {
  candidatePairRttMs,
  localVideoStats,
  outboundOf,
  ownedInbound,
  remoteInboundRttMs,
  remoteVideoStats,
  volumeBetween,
  withVideoLayers,
  type Stat,
} from './stats.js';

const stat = (id: string, type: string, fields: Record<string, unknown> = {}): Stat => ({
  id,
  type,
  ...fields,
});

describe('round trips', () => {
  it('takes the selected candidate pair, in ms; else the nominated one; else the average', () => {
    const stats = [
      stat('T', 'transport', { selectedCandidatePairId: 'P2' }),
      stat('P1', 'candidate-pair', {
        nominated: true,
        state: 'succeeded',
        currentRoundTripTime: 0.5,
      }),
      stat('P2', 'candidate-pair', { currentRoundTripTime: 0.012 }),
    ];
    expect(candidatePairRttMs(stats)).toBeCloseTo(12);
    expect(candidatePairRttMs(stats.slice(1))).toBeCloseTo(500);
    expect(
      candidatePairRttMs([
        stat('P', 'candidate-pair', {
          nominated: true,
          state: 'succeeded',
          totalRoundTripTime: 0.06,
          responsesReceived: 3,
        }),
      ]),
    ).toBeCloseTo(20);
    expect(candidatePairRttMs([])).toBeUndefined();
  });

  it('averages the RTCP round trips of the server receiver reports', () => {
    expect(
      remoteInboundRttMs([
        stat('a', 'remote-inbound-rtp', { roundTripTime: 0.01 }),
        stat('b', 'remote-inbound-rtp', { roundTripTime: 0.03 }),
      ]),
    ).toBeCloseTo(20);
    expect(remoteInboundRttMs([stat('a', 'remote-inbound-rtp')])).toBeUndefined();
  });
});

describe('local stats', () => {
  const stats = [
    stat('S1', 'media-source', { trackIdentifier: 'cam' }),
    stat('S2', 'media-source', { trackIdentifier: 'screen' }),
    stat('O1', 'outbound-rtp', {
      kind: 'video',
      mediaSourceId: 'S1',
      bytesSent: 1000,
      packetsSent: 10,
      framesEncoded: 30,
      framesSent: 29,
      frameWidth: 640,
      frameHeight: 480,
    }),
    stat('O2', 'outbound-rtp', { kind: 'video', mediaSourceId: 'S2', bytesSent: 5000 }),
    stat('R1', 'remote-inbound-rtp', { localId: 'O1', packetsLost: 2 }),
  ];

  it("picks the stream's own senders by track and adds the server-reported loss", () => {
    const outbound = outboundOf(stats, 'video', new Set(['cam']), false);
    expect(outbound.map((s) => s.id)).toEqual(['O1']);
    expect(localVideoStats(stats, outbound)).toEqual({
      bytesSent: 1000,
      packetsSent: 10,
      packetsLost: 2,
      framesEncoded: 30,
      framesSent: 29,
      frameWidth: 640,
      frameHeight: 480,
    });
  });

  it('falls back to every sender of the kind only when nothing else shares the connection', () => {
    expect(outboundOf(stats, 'video', new Set(['gone']), false)).toEqual([]);
    expect(outboundOf(stats, 'video', new Set(['gone']), true)).toHaveLength(2);
    expect(outboundOf(stats, 'audio', new Set(['cam']), true)).toEqual([]);
  });
});

describe('remote stats', () => {
  it('maps inbound streams to users by mid, else by track id, and reads v4 fields', () => {
    const stats = [
      stat('I1', 'inbound-rtp', {
        kind: 'video',
        mid: '3',
        bytesReceived: 900,
        packetsReceived: 9,
        packetsLost: -1, // RTCP can report negative loss (duplicates): never below zero
        framesDecoded: 20,
        frameWidth: 320,
        frameHeight: 240,
      }),
      stat('I2', 'inbound-rtp', { kind: 'audio', trackIdentifier: 'track-b' }),
      stat('I3', 'inbound-rtp', { kind: 'audio', mid: '9' }),
    ];
    const owned = ownedInbound(
      stats,
      (mid) => (mid === '3' ? { userId: 'a', streamType: 'main' } : undefined),
      (id) => (id === 'track-b' ? { userId: 'b', streamType: 'auxiliary' } : undefined),
    );
    expect(owned.map((o) => [o.owner.userId, o.owner.streamType, o.kind])).toEqual([
      ['a', 'main', 'video'],
      ['b', 'auxiliary', 'audio'],
    ]);
    expect(remoteVideoStats(owned[0]!.stat)).toEqual({
      bytesReceived: 900,
      packetsReceived: 9,
      packetsLost: 0,
      framesDecoded: 20,
      frameWidth: 320,
      frameHeight: 240,
    });
  });
});

describe('volumeBetween', () => {
  it('is the RMS level over the interval, 0..100', () => {
    // level 0.5 for 1 s: energy 0.25
    expect(volumeBetween({ energy: 1, duration: 10 }, { energy: 1.25, duration: 11 })).toBe(50);
    expect(volumeBetween(undefined, { energy: 0.01, duration: 1 })).toBe(10);
    expect(volumeBetween({ energy: 1, duration: 1 }, { energy: 1, duration: 2 })).toBe(0);
    expect(volumeBetween({ energy: 1, duration: 1 }, { energy: 1, duration: 1 })).toBe(0);
    expect(volumeBetween(undefined, { energy: 4, duration: 1 })).toBe(100);
  });
});

describe('withVideoLayers', () => {
  const decoded = (width: number) => ({
    bytesReceived: 1,
    packetsReceived: 1,
    packetsLost: 0,
    framesDecoded: 10,
    frameWidth: width,
    frameHeight: (width * 9) / 16,
  });

  it("adds the server's layer and reason to the users we decode, of that stream type only", () => {
    const stats = { cam: decoded(160), other: decoded(1280) };
    const result = withVideoLayers(
      stats,
      [
        { userId: 'cam', streamType: 'main', layer: 'small', reason: 'hold' },
        { userId: 'other', streamType: 'auxiliary', layer: 'big', reason: 'app' },
        { userId: 'absent', streamType: 'main', layer: 'big', reason: 'app' },
      ],
      'main',
    );
    expect(result).toEqual({
      cam: { ...decoded(160), layer: 'small', layerReason: 'hold' },
      other: decoded(1280),
    });
  });

  it('says nothing while the server sends no layer yet', () => {
    const result = withVideoLayers(
      { cam: decoded(0) },
      [{ userId: 'cam', streamType: 'main', layer: null, reason: 'app' }],
      'main',
    );
    expect(result.cam).toEqual(decoded(0));
  });
});
