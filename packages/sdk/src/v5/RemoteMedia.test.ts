import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamInfo } from '@parley/protocol';
import type { RoomEngine } from '../engine/RoomEngine.js';
import { RemoteStream } from '../stream/RemoteStream.js';
import { Logger, LogLevel } from '../util/Logger.js';
import { RemoteMedia } from './RemoteMedia.js';

type Call = ['subscribe', string, { audio: boolean; video: boolean }] | ['unsubscribe', string];

/** The engine calls RemoteMedia makes (what the server is asked), recorded; failures on demand. */
function fakeEngine() {
  const calls: Call[] = [];
  let fail = false;
  const engine = {
    isCurrent: (stream: RemoteStream) => !stream.isRemoved(),
    subscribe: async (stream: RemoteStream, wanted: { audio: boolean; video: boolean }) => {
      if (fail) throw new Error('refused');
      calls.push(['subscribe', `${stream.getUserId()}/${stream.getType()}`, wanted]);
    },
    unsubscribe: async (stream: RemoteStream) => {
      calls.push(['unsubscribe', `${stream.getUserId()}/${stream.getType()}`]);
    },
  };
  return {
    engine: engine as unknown as RoomEngine,
    calls,
    failNext: (value: boolean) => (fail = value),
  };
}

const stream = (userId: string, info: Partial<StreamInfo> = {}): RemoteStream =>
  new RemoteStream({
    userId,
    streamType: 'main',
    hasAudio: true,
    hasVideo: true,
    audioMuted: false,
    videoMuted: false,
    hasSmall: false,
    ...info,
  });

const reports = {
  autoplayFailed: () => undefined,
  videoState: () => undefined,
  audioState: () => undefined,
  firstVideoFrame: () => undefined,
  videoSizeChanged: () => undefined,
};

/** Lets the per-stream queues run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RemoteMedia: what a v5 instance asks the server for', () => {
  // The refusal test logs a warning by design.
  beforeAll(() => Logger.setLogLevel(LogLevel.NONE));
  afterAll(() => Logger.setLogLevel(LogLevel.INFO));

  it('receives a new stream’s audio only (video waits for startRemoteVideo), once', async () => {
    const { engine, calls } = fakeEngine();
    const media = new RemoteMedia(engine, reports);
    const alice = stream('alice');
    media.streamChanged(alice);
    media.streamChanged(alice);
    await settle();
    expect(calls).toEqual([['subscribe', 'alice/main', { audio: true, video: false }]]);
  });

  it('asks nothing without autoReceiveAudio, and nothing for a stream without audio', async () => {
    const { engine, calls } = fakeEngine();
    const media = new RemoteMedia(engine, reports);
    media.autoReceiveAudio = false;
    media.streamChanged(stream('alice'));
    const other = new RemoteMedia(engine, reports);
    other.streamChanged(stream('bob', { hasAudio: false }));
    await settle();
    expect(calls).toEqual([]);
  });

  it("muteRemoteAudio unsubscribes the audio and resumes it; '*' also covers later arrivals", async () => {
    const { engine, calls } = fakeEngine();
    const media = new RemoteMedia(engine, reports);
    const alice = stream('alice');
    media.streamChanged(alice);
    await settle();
    await media.setAudioMuted('alice', true, [alice]);
    await media.setAudioMuted('alice', false, [alice]);
    await media.setAudioMuted('*', true, [alice]);
    media.streamChanged(stream('bob'));
    await settle();
    expect(calls).toEqual([
      ['subscribe', 'alice/main', { audio: true, video: false }],
      ['unsubscribe', 'alice/main'],
      ['subscribe', 'alice/main', { audio: true, video: false }],
      ['unsubscribe', 'alice/main'],
    ]);
  });

  it('a refused request is asked again on the next change (the state is not kept)', async () => {
    const { engine, calls, failNext } = fakeEngine();
    const media = new RemoteMedia(engine, reports);
    const alice = stream('alice');
    failNext(true);
    media.streamChanged(alice);
    await settle();
    failNext(false);
    media.streamChanged(alice);
    await settle();
    expect(calls).toEqual([['subscribe', 'alice/main', { audio: true, video: false }]]);
  });

  it('forgets a removed stream: nothing is asked for it', async () => {
    const { engine, calls } = fakeEngine();
    const media = new RemoteMedia(engine, reports);
    const alice = stream('alice');
    alice.markRemoved();
    media.streamChanged(alice);
    await settle();
    expect(calls).toEqual([]);
  });
});
