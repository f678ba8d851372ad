import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { RemoteStream } from '../stream/RemoteStream.js';
import { Logger, LogLevel } from '../util/Logger.js';
import {
  FakeServer,
  NodeWebSocket,
  joinResult,
  participant,
  streamInfo,
} from '../test/FakeServer.js';
import { Client } from '../client/Client.js';
import {
  checkSmallStreamProfile,
  DEFAULT_SMALL_STREAM_PROFILE,
  smallEncoding,
} from './smallStream.js';

Logger.setLogLevel(LogLevel.NONE);

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof RtcError ? error.getCode() : undefined;
  }
  return undefined;
}

async function rejectionCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof RtcError ? error.getCode() : undefined;
  }
  return undefined;
}

describe('small stream profile', () => {
  it('takes {width, height, bitrate, frameRate} (framerate too) and names a bad field', () => {
    const profile = { width: 320, height: 180, bitrate: 150, frameRate: 10 };
    expect(checkSmallStreamProfile(profile)).toEqual(profile);
    expect(
      checkSmallStreamProfile({ width: 320, height: 180, bitrate: 150, framerate: 10 }),
    ).toEqual(profile);
    for (const bad of [
      null,
      { ...profile, width: 0 },
      { ...profile, height: '180' },
      { ...profile, bitrate: Number.NaN },
      { ...profile, frameRate: 120 },
    ]) {
      expect(codeOf(() => checkSmallStreamProfile(bad))).toBe(ErrorCode.INVALID_PARAMETER);
    }
    expect(() => checkSmallStreamProfile({ ...profile, bitrate: -1 })).toThrow(/bitrate/);
  });

  it('scales the big picture down to fit the small box, never up, never above its rates', () => {
    const big720 = { width: 1280, height: 720, frameRate: 15, bitrate: 1500 };
    expect(smallEncoding(big720, DEFAULT_SMALL_STREAM_PROFILE)).toEqual({
      scaleResolutionDownBy: 8,
      maxBitrate: 100_000,
      maxFramerate: 15,
    });
    const tiny = { width: 160, height: 120, frameRate: 10, bitrate: 80 };
    expect(smallEncoding(tiny, { width: 320, height: 240, bitrate: 200, frameRate: 15 })).toEqual({
      scaleResolutionDownBy: 1,
      maxBitrate: 80_000,
      maxFramerate: 10,
    });
  });
});

describe('Client dual stream API', () => {
  let server: FakeServer;
  const clients: Client[] = [];
  const client = (): Client => {
    const c = new Client(
      { mode: 'rtc', sdkAppId: 1400000000, userId: 'alice', userSig: 'sig', serverUrl: server.url },
      { WebSocketCtor: NodeWebSocket },
    );
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await FakeServer.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.leave();
    await server.close();
  });

  it('refuses what it cannot do: no simulcast here, bad profiles, calls before join', async () => {
    const c = client();
    // Node has no RTCPeerConnection: like a browser without simulcast.
    expect(await rejectionCode(c.enableSmallStream())).toBe(ErrorCode.NOT_SUPPORTED);
    await c.disableSmallStream();
    expect(codeOf(() => c.setSmallStreamProfile({ width: 1 } as never))).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    c.setSmallStreamProfile({ width: 320, height: 180, bitrate: 150, frameRate: 15 });
    expect(await rejectionCode(c.setRemoteVideoStreamType({} as RemoteStream, 'small'))).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
  });

  it('asks the server for the small or big video of a stream, and reports hasSmall', async () => {
    server.handlers.join = () =>
      joinResult([participant('bob', [streamInfo('bob', { hasSmall: true })])]);
    const c = client();
    const added = new Promise<RemoteStream>((resolve) =>
      c.on('stream-added', (e) => resolve(e.stream)),
    );
    await c.join({ roomId: 1 });
    const stream = await added;
    expect(c.getRemoteMutedState()).toEqual([
      expect.objectContaining({ userId: 'bob', hasSmall: true }),
    ]);
    expect(await rejectionCode(c.setRemoteVideoStreamType(stream, 'medium' as 'big'))).toBe(
      ErrorCode.INVALID_PARAMETER,
    );
    await c.setRemoteVideoStreamType(stream, 'small');
    await c.setRemoteVideoStreamType(stream, 'big');
    expect(server.last.requests('remote-video-type').map((r) => r.data)).toEqual([
      { userId: 'bob', streamType: 'main', type: 'small' },
      { userId: 'bob', streamType: 'main', type: 'big' },
    ]);
    server.last.notify('stream-removed', { userId: 'bob', streamType: 'main' });
    await new Promise((resolve) => c.on('stream-removed', resolve));
    expect(await rejectionCode(c.setRemoteVideoStreamType(stream, 'small'))).toBe(
      ErrorCode.REMOTE_STREAM_NOT_EXIST,
    );
  });
});
