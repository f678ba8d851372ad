import { checkMixConfig, type MixConfig } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { fitOf, mixJobLayout, relayJobLayout } from './mixLayout.js';

function config(input: Record<string, unknown>, caller = 'alice'): MixConfig {
  const check = checkMixConfig(input, caller);
  if (!check.ok) throw new Error(check.message);
  return check.config;
}

const box = (x: number, y: number, zOrder: number) => ({
  pureAudio: false,
  width: 320,
  height: 180,
  locationX: x,
  locationY: y,
  zOrder,
});

describe('mixJobLayout', () => {
  it('puts each user in its box at its zOrder, with the output settings of the config', () => {
    const layout = mixJobLayout(
      config({
        videoWidth: 640,
        videoHeight: 360,
        videoFramerate: 20,
        videoGOP: 3,
        videoBitrate: 700,
        audioSampleRate: 44100,
        audioChannels: 2,
        audioBitrate: 96,
        backgroundColor: 0x123456,
        mixUsers: [
          { userId: 'alice', ...box(0, 0, 1) },
          { userId: 'bob', ...box(200, 100, 2), renderMode: 1 },
          { userId: 'carol', pureAudio: true },
        ],
      }),
      'alice',
      [],
    );
    expect(layout.video).toEqual({
      width: 640,
      height: 360,
      fps: 20,
      bitrateKbps: 700,
      gopSeconds: 3,
      background: 0x123456,
    });
    expect(layout.audio).toEqual({ sampleRate: 44100, channels: 2, bitrateKbps: 96 });
    expect(layout.users).toEqual([
      {
        userId: 'alice',
        streamType: 'main',
        audio: true,
        box: { x: 0, y: 0, width: 320, height: 180, zOrder: 1, fit: 'crop' },
      },
      {
        userId: 'bob',
        streamType: 'main',
        audio: true,
        // renderMode 1: fit, the background showing around the picture.
        box: { x: 200, y: 100, width: 320, height: 180, zOrder: 2, fit: 'fit-transparent' },
      },
      { userId: 'carol', streamType: 'main', audio: true, box: null },
    ]);
  });

  it("draws Tencent's render modes: 0 crop, 1 fit over the background, 2 fit on black, 4 crop", () => {
    const layout = mixJobLayout(
      config({
        mixUsers: [0, 1, 2, 4].map((renderMode, i) => ({
          userId: i === 0 ? 'alice' : `u${i}`,
          ...box(0, 0, i + 1),
          renderMode,
        })),
      }),
      'alice',
      [],
    );
    expect(layout.users.map((u) => u.box?.fit)).toEqual(['crop', 'fit-transparent', 'fit', 'crop']);
    expect(fitOf(0)).toBe('crop');
  });

  it('keeps the background image file and marks users of another room', () => {
    const layout = mixJobLayout(
      config({
        backgroundImage: 'stage',
        mixUsers: [
          { userId: 'alice', roomId: 100, ...box(0, 0, 1) },
          { userId: 'bob', roomId: 200, ...box(320, 0, 2) },
          { userId: 'carol', roomId: '200', pureAudio: true },
        ],
      }),
      'alice',
      [],
      { roomId: '100', backgroundImage: '/srv/mix-images/stage.png' },
    );
    expect(layout.video.backgroundImage).toBe('/srv/mix-images/stage.png');
    // alice is in the caller's room (100): no roomId; bob and carol are in room 200.
    expect(layout.users.map((u) => [u.userId, u.roomId])).toEqual([
      ['alice', undefined],
      ['bob', '200'],
      ['carol', '200'],
    ]);
    expect('roomId' in layout.users[0]!).toBe(false);
  });

  it('fills $PLACE_HOLDER_REMOTE$ with the other publishers in join order, skipping named ones', () => {
    const preset = config({
      mode: 'preset-layout',
      mixUsers: [
        { userId: '$PLACE_HOLDER_LOCAL_MAIN$', ...box(0, 0, 1) },
        { userId: 'dave', ...box(0, 200, 2) },
        { userId: '$PLACE_HOLDER_REMOTE$', ...box(320, 0, 2) },
        { userId: '$PLACE_HOLDER_REMOTE$', ...box(320, 200, 3) },
      ],
    });
    const room = [
      { userId: 'alice', streams: ['main' as const] },
      { userId: 'dave', streams: ['main' as const] },
      { userId: 'bob', streams: ['main' as const] },
    ];
    const two = mixJobLayout(preset, 'alice', room);
    expect(two.users.map((u) => [u.userId, u.box?.x, u.box?.y])).toEqual([
      ['alice', 0, 0],
      ['dave', 0, 200],
      ['bob', 320, 0],
    ]);
    // Carol publishes: she takes the next placeholder; Bob leaves: she moves up.
    const three = mixJobLayout(preset, 'alice', [...room, { userId: 'carol', streams: ['main'] }]);
    expect(three.users.map((u) => u.userId)).toEqual(['alice', 'dave', 'bob', 'carol']);
    const without = mixJobLayout(preset, 'alice', [
      room[0]!,
      room[1]!,
      { userId: 'carol', streams: ['main'] },
    ]);
    expect(without.users.map((u) => [u.userId, u.box?.x])).toEqual([
      ['alice', 0],
      ['dave', 0],
      ['carol', 320],
    ]);
  });

  it("a relay is the user's stream alone, fitted to the whole picture", () => {
    const layout = relayJobLayout('alice', 'auxiliary');
    expect(layout.users).toEqual([
      {
        userId: 'alice',
        streamType: 'auxiliary',
        audio: true,
        box: { x: 0, y: 0, width: 640, height: 480, zOrder: 1, fit: 'fit' },
      },
    ]);
  });
});
