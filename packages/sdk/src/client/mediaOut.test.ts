import { ErrorCode, type ClientRequestMethod } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { RtcError } from '../errors/RtcError.js';
import {
  startMixTranscode,
  startPublishCDNStream,
  stopMixTranscode,
  stopPublishCDNStream,
  type MediaOutSignal,
} from './mediaOut.js';

/** A signaling channel that records requests and answers with `answer`. */
function signal(
  answer: (method: string) => Promise<unknown> = () => Promise.resolve({ streamId: 's' }),
) {
  const sent: Array<{ method: string; data: unknown; timeoutMs: number | undefined }> = [];
  const channel: MediaOutSignal = {
    request: ((method: ClientRequestMethod, data: unknown, options?: { timeoutMs?: number }) => {
      sent.push({ method, data, timeoutMs: options?.timeoutMs });
      return answer(method);
    }) as MediaOutSignal['request'],
  };
  return { channel, sent };
}

const alice = {
  userId: 'alice',
  pureAudio: false,
  width: 320,
  height: 240,
  locationX: 0,
  locationY: 0,
  zOrder: 1,
};

describe('startMixTranscode', () => {
  it("refuses v4's bad configs with INVALID_PARAMETER before sending anything", async () => {
    const { channel, sent } = signal();
    const error = await startMixTranscode(channel, 'alice', {
      videoGOP: 9,
      mixUsers: [alice],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcError);
    expect((error as RtcError).code).toBe(ErrorCode.INVALID_PARAMETER);
    expect((error as RtcError).message).toMatch(/config\.videoGOP/);
    expect(sent).toEqual([]);
  });

  it('sends a good config, with the 10 s bound; server refusals keep their code, other failures become 0x4047', async () => {
    const { channel, sent } = signal();
    await startMixTranscode(channel, 'alice', { mixUsers: [alice] });
    expect(sent).toEqual([
      { method: 'start-mix-transcode', data: { mixUsers: [alice] }, timeoutMs: 10_000 },
    ]);

    const refused = signal(() =>
      Promise.reject(
        new RtcError({
          code: ErrorCode.START_MIX_TRANSCODE_FAILED,
          message: 'mixUsers zoe is not in room 1',
        }),
      ),
    );
    await expect(
      startMixTranscode(refused.channel, 'alice', { mixUsers: [alice] }),
    ).rejects.toMatchObject({
      code: ErrorCode.START_MIX_TRANSCODE_FAILED,
      message: 'mixUsers zoe is not in room 1',
    });
    const timedOut = signal(() =>
      Promise.reject(
        RtcError.serverTimeout('the server did not answer start-mix-transcode within 10000 ms'),
      ),
    );
    await expect(
      startMixTranscode(timedOut.channel, 'alice', { mixUsers: [alice] }),
    ).rejects.toMatchObject({
      code: ErrorCode.START_MIX_TRANSCODE_FAILED,
      message:
        'startMixTranscode() failed: the server did not answer start-mix-transcode within 10000 ms',
    });
    const gone = signal(() =>
      Promise.reject(RtcError.signalError('the signaling channel was closed')),
    );
    await expect(stopMixTranscode(gone.channel)).rejects.toMatchObject({
      code: ErrorCode.STOP_MIX_TRANSCODE_FAILED,
    });
    const none = signal(() => Promise.reject(RtcError.invalidOperation('no mix is running')));
    await expect(stopMixTranscode(none.channel)).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPERATION,
    });
  });
});

describe('startPublishCDNStream', () => {
  it("sends v4's options (url as given, appId and bizId too), main by default", async () => {
    const { channel, sent } = signal();
    await startPublishCDNStream(channel, {
      streamId: 'live_1',
      appId: 1,
      bizId: 2,
      url: 'rtmps://cdn.example.com/app/key?auth=x',
    });
    await startPublishCDNStream(channel);
    expect(sent.map((s) => s.data)).toEqual([
      {
        streamType: 'main',
        streamId: 'live_1',
        appId: 1,
        bizId: 2,
        url: 'rtmps://cdn.example.com/app/key?auth=x',
      },
      { streamType: 'main' },
    ]);
  });

  it('refuses bad options with INVALID_PARAMETER naming them', async () => {
    const { channel, sent } = signal();
    for (const [options, field] of [
      [{ url: 'http://x/y' }, 'url'],
      [{ streamId: 'a b' }, 'streamId'],
      [{ appId: -1 }, 'appId'],
      [{ streamType: 'big' }, 'streamType'],
    ] as const) {
      const error = await startPublishCDNStream(channel, options as never).catch((e: unknown) => e);
      expect((error as RtcError).code).toBe(ErrorCode.INVALID_PARAMETER);
      expect((error as RtcError).message).toContain(field);
    }
    expect(sent).toEqual([]);
    const failed = signal(() => Promise.reject(RtcError.serverTimeout('no answer')));
    await expect(stopPublishCDNStream(failed.channel)).rejects.toMatchObject({
      code: ErrorCode.STOP_PUBLISH_CDN_FAILED,
    });
  });
});
