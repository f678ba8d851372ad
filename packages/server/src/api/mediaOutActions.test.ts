import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MediaOutService } from '../mediaOut/MediaOutService.js';
import { MediaOutTasks } from '../mediaOut/MediaOutTasks.js';
import { fakeGst, isAlive, publishAV } from '../test/mediaOutTestKit.js';
import { roomKit } from '../test/roomTestKit.js';
import { createMediaOutActions } from './mediaOutActions.js';
import type { ApiCaller } from './TencentApi.js';

const APP = 1400000000;

async function setup() {
  const kit = roomKit();
  await publishAV(kit, 'alice');
  const gst = fakeGst();
  const service = new MediaOutService({
    log: pino({ level: 'silent' }),
    urlTemplate: () => null,
    command: gst.command,
    availability: { available: true, missing: [] },
    portRange: [39000, 39999],
    allowedHosts: () => ['*'],
  });
  const media = service.forRoom(kit.room);
  const actions = createMediaOutActions({
    tasks: new MediaOutTasks(service, { get: () => kit.room }),
    urlTemplate: () => null,
    checkUrl: () => Promise.resolve(null),
  });
  const caller: ApiCaller = {
    sdkAppId: APP,
    secretId: 'test',
    requestId: 'r',
    log: pino({ level: 'silent' }),
  };
  return { gst, media, actions, caller };
}

const start = {
  SdkAppId: APP,
  RoomId: 1,
  OutputParams: { StreamId: 'mix1' },
  EncodeParams: { AudioSampleRate: 48000, AudioChannels: 2, AudioBitrate: 64 },
  PublishCdnParams: { PublishCdnUrls: ['rtmp://127.0.0.1:1935/live/mix1'] },
};

describe('StartMCUMixTranscode / StopMCUMixTranscode', () => {
  it('two starts for one room at once run one mix, which a stop ends', async () => {
    const { gst, media, actions, caller } = await setup();
    await Promise.all([
      actions.StartMCUMixTranscode!(start, caller),
      actions.StartMCUMixTranscode!(start, caller),
    ]);
    expect(media.jobs()).toHaveLength(1);
    await actions.StopMCUMixTranscode!({ SdkAppId: APP, RoomId: 1 }, caller);
    expect(media.jobs()).toEqual([]);
    expect(gst.pids().filter(isAlive)).toEqual([]);
  });

  it('a stop made while the start is under way is not refused, and ends the mix once started', async () => {
    const { gst, media, actions, caller } = await setup();
    const started = actions.StartMCUMixTranscode!(start, caller);
    await expect(
      actions.StopMCUMixTranscode!({ SdkAppId: APP, RoomId: 1 }, caller),
    ).resolves.toEqual({});
    await expect(started).resolves.toEqual({});
    expect(media.jobs()).toEqual([]);
    expect(gst.pids()).toHaveLength(1);
    expect(gst.pids().filter(isAlive)).toEqual([]);
    await expect(
      actions.StopMCUMixTranscode!({ SdkAppId: APP, RoomId: 1 }, caller),
    ).rejects.toMatchObject({ code: 'FailedOperation.MixSessionNotExist' });
  });
});
