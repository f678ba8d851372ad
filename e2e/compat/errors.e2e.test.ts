/**
 * Argument and state checks of every Client method, as a v4 app meets them: the v4 error
 * code, and a message naming the problem. One table; each row runs a scenario in the page.
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { newPage, useE2eEnvironment } from '../harness.js';
import { randomRoom } from './compatPage.js';

const env = useE2eEnvironment({}, { closePagesAfterEach: false });

const INVALID_PARAMETER = 0x1000;
const INVALID_OPERATION = 0x1001;
const NOT_SUPPORTED = 0x1002;
const REMOTE_STREAM_NOT_EXIST = 0x4010;

const USERS = ['e1', 'e2', 'pub', 'sub'] as const;

interface Outcome {
  ok: boolean;
  code?: number;
  message?: string;
  isRtcError?: boolean;
  /** The method threw synchronously instead of rejecting. */
  sync?: boolean;
}

/**
 * One page for the whole table (a fresh page per row cost ~1 s of the suite each): every row
 * makes its own clients in a room of its own, and they leave and their streams close after it.
 */
let page: Page | null = null;

afterAll(() => page?.context().close());

/** Runs scenario `name` (defined page-side below) and reports how it ended. */
async function run(name: string): Promise<Outcome> {
  if (!page) {
    page = (await newPage(env.browser)).page;
    await page.goto(`${env.app.origin}/sdk.html`);
  }
  const sigs = Object.fromEntries(USERS.map((u) => [u, env.parley.userSig(u)]));
  return page.evaluate(
    async ({ name, sdkAppId, sigs, roomId }) => {
      type Fn = (...args: unknown[]) => unknown;
      type ClientLike = Record<
        | 'join'
        | 'leave'
        | 'destroy'
        | 'publish'
        | 'unpublish'
        | 'subscribe'
        | 'unsubscribe'
        | 'switchRole'
        | 'sendSEIMessage'
        | 'enableAudioVolumeEvaluation'
        | 'getRemoteVideoStats'
        | 'startPublishCDNStream'
        | 'setProxyServer'
        | 'enableSmallStream'
        | 'disableSmallStream'
        | 'setSmallStreamProfile'
        | 'setRemoteVideoStreamType'
        | 'on',
        Fn
      >;
      type StreamLike = { initialize(): Promise<void>; close(): void };
      const T = (
        window as unknown as {
          TRTC: {
            createClient(c: object): ClientLike;
            createStream(c: object): StreamLike;
            RtcError: new (...args: never[]) => unknown;
          };
        }
      ).TRTC;
      const made: { clients: ClientLike[]; streams: StreamLike[] } = { clients: [], streams: [] };
      const make = (userId: string, extra: object = {}) => {
        const client = T.createClient({
          mode: 'rtc',
          sdkAppId,
          userId,
          userSig: sigs[userId],
          ...extra,
        });
        made.clients.push(client);
        return client;
      };
      const joined = async (userId: string, extra: object = {}, role?: string) => {
        const client = make(userId, extra);
        await client.join({ roomId, ...(role ? { role } : {}) });
        return client;
      };
      const camera = async (userId: string) => {
        const stream = T.createStream({ userId, audio: true, video: true });
        made.streams.push(stream);
        await stream.initialize();
        return stream;
      };
      /** A RemoteStream that was published and then unpublished. */
      const goneStream = async () => {
        const pub = await joined('pub');
        const sub = make('sub');
        const added = new Promise<unknown>((resolve) =>
          sub.on('stream-added', (e: { stream: unknown }) => resolve(e.stream)),
        );
        const removed = new Promise((resolve) => sub.on('stream-removed', resolve));
        await sub.join({ roomId });
        const local = await camera('pub');
        await pub.publish(local);
        const stream = await added;
        await pub.unpublish(local);
        await removed;
        return { sub, stream };
      };
      let sync = false;
      /** Makes the API call under test, noting whether it threw instead of rejecting. */
      const c = (call: () => unknown): unknown => {
        try {
          return call();
        } catch (error) {
          sync = true;
          throw error;
        }
      };
      const scenarios: Record<string, () => unknown> = {
        'startPublishCDNStream with nothing published': async () => {
          const client = await joined('e1');
          return c(() => client.startPublishCDNStream());
        },
        'setProxyServer (not in Parley yet)': () =>
          c(() => make('e1').setProxyServer('wss://proxy.example')),
        'enableSmallStream after publish': async () => {
          const client = await joined('e1');
          await client.publish(await camera('e1'));
          return c(() => client.enableSmallStream());
        },
        'disableSmallStream after publish': async () => {
          const client = await joined('e1');
          await client.enableSmallStream();
          await client.publish(await camera('e1'));
          return c(() => client.disableSmallStream());
        },
        'enableSmallStream before join': () => c(() => make('e1').enableSmallStream()),
        'setSmallStreamProfile with width 0': () =>
          c(() =>
            make('e1').setSmallStreamProfile({ width: 0, height: 90, bitrate: 100, frameRate: 15 }),
          ),
        'setRemoteVideoStreamType before join': () =>
          c(() => make('e1').setRemoteVideoStreamType({}, 'small')),
        "setRemoteVideoStreamType 'medium'": async () => {
          const { sub, stream } = await goneStream();
          return c(() => sub.setRemoteVideoStreamType(stream, 'medium'));
        },
        'setRemoteVideoStreamType of a stream that is gone': async () => {
          const { sub, stream } = await goneStream();
          return c(() => sub.setRemoteVideoStreamType(stream, 'small'));
        },
        'join twice': async () => {
          const client = await joined('e1');
          return c(() => client.join({ roomId }));
        },
        'join while a join is in progress': () => {
          const client = make('e1');
          void client.join({ roomId });
          return c(() => client.join({ roomId }));
        },
        'join roomId 0': () => c(() => make('e1').join({ roomId: 0 })),
        'join roomId 4294967295': () => c(() => make('e1').join({ roomId: 4294967295 })),
        'join roomId 1.5': () => c(() => make('e1').join({ roomId: 1.5 })),
        'join a string roomId without useStringRoomId': () =>
          c(() => make('e1').join({ roomId: 'abc' })),
        'join a 65-character string roomId': () =>
          c(() => make('e1', { useStringRoomId: true }).join({ roomId: 'r'.repeat(65) })),
        'join with a userId with spaces': () =>
          c(() =>
            T.createClient({ mode: 'rtc', sdkAppId, userId: 'has space', userSig: 'x' }).join({
              roomId,
            }),
          ),
        'join with an unknown mode': () =>
          c(() => make('e1', { mode: 'meeting' }).join({ roomId })),
        'join with a non-numeric sdkAppId': () =>
          c(() => make('e1', { sdkAppId: '1400000000' }).join({ roomId })),
        'join with an unknown role': () =>
          c(() => make('e1', { mode: 'live' }).join({ roomId, role: 'host' })),
        'leave when not joined': () => c(() => make('e1').leave()),
        'publish before join': async () => {
          const stream = await camera('e1');
          return c(() => make('e1').publish(stream));
        },
        'publish something else than a LocalStream': async () => {
          const client = await joined('e1');
          return c(() => client.publish({}));
        },
        'publish an uninitialized stream': async () => {
          const client = await joined('e1');
          return c(() => client.publish(T.createStream({ userId: 'e1', audio: true })));
        },
        'publish as an audience member': async () => {
          const client = await joined('e1', { mode: 'live' }, 'audience');
          const stream = await camera('e1');
          return c(() => client.publish(stream));
        },
        'unpublish a stream that is not published': async () => {
          const client = await joined('e1');
          const stream = await camera('e1');
          return c(() => client.unpublish(stream));
        },
        'subscribe before join': () => c(() => make('e1').subscribe({})),
        'subscribe something else than a RemoteStream': async () => {
          const client = await joined('e1');
          return c(() => client.subscribe({ getId: () => 'x' }));
        },
        'subscribe to a stream that is gone': async () => {
          const { sub, stream } = await goneStream();
          return c(() => sub.subscribe(stream));
        },
        'unsubscribe a stream that is gone': async () => {
          const { sub, stream } = await goneStream();
          return c(() => sub.unsubscribe(stream));
        },
        'switchRole before join': () => c(() => make('e1', { mode: 'live' }).switchRole('anchor')),
        'switchRole in rtc mode': async () => {
          const client = await joined('e1');
          return c(() => client.switchRole('audience'));
        },
        'switchRole to an unknown role': async () => {
          const client = await joined('e1', { mode: 'live' });
          return c(() => client.switchRole('host'));
        },
        'sendSEIMessage before join': () => c(() => make('e1').sendSEIMessage(new ArrayBuffer(4))),
        'sendSEIMessage without publishing video': async () => {
          const client = await joined('e1');
          return c(() => client.sendSEIMessage(new ArrayBuffer(4)));
        },
        'sendSEIMessage of 1001 bytes': async () => {
          const client = await joined('e1');
          return c(() => client.sendSEIMessage(new ArrayBuffer(1001)));
        },
        'sendSEIMessage of 0 bytes': async () => {
          const client = await joined('e1');
          return c(() => client.sendSEIMessage(new ArrayBuffer(0)));
        },
        'sendSEIMessage of a string': async () => {
          const client = await joined('e1');
          return c(() => client.sendSEIMessage('hello'));
        },
        'sendSEIMessage with seiPayloadType 6': async () => {
          const client = await joined('e1');
          return c(() => client.sendSEIMessage(new ArrayBuffer(4), { seiPayloadType: 6 }));
        },
        'enableAudioVolumeEvaluation with a non-numeric interval': () =>
          c(() => make('e1').enableAudioVolumeEvaluation('fast')),
        "getRemoteVideoStats('big')": () => c(() => make('e1').getRemoteVideoStats('big')),
        'join right after destroy() (not awaited)': () => {
          const client = make('e1');
          void client.destroy();
          return c(() => client.join({ roomId }));
        },
        'join after destroy': async () => {
          const client = make('e1');
          await client.destroy();
          return c(() => client.join({ roomId }));
        },
      };
      const scenario = scenarios[name];
      if (!scenario) throw new Error(`no scenario ${name}`);
      const cleanUp = async () => {
        for (const stream of made.streams) stream.close();
        await Promise.allSettled(made.clients.map(async (client) => client.leave()));
      };
      try {
        const result = scenario();
        await result;
        await cleanUp();
        return { ok: true };
      } catch (e) {
        await cleanUp();
        const err = e as { getCode?(): number; message: string };
        return {
          ok: false,
          code: err.getCode?.(),
          message: err.message,
          isRtcError: e instanceof T.RtcError,
          sync,
        };
      }
    },
    { name, sdkAppId: env.parley.sdkAppId, sigs, roomId: randomRoom() },
  );
}

/** [scenario, v4 code (null: resolves), what the message must name] */
const TABLE: Array<[string, number | null, RegExp?]> = [
  ['join twice', INVALID_OPERATION, /already joined/],
  ['join while a join is in progress', INVALID_OPERATION, /in progress/],
  ['join roomId 0', INVALID_PARAMETER, /roomId .*1 to 4294967294, got 0/],
  ['join roomId 4294967295', INVALID_PARAMETER, /got 4294967295/],
  ['join roomId 1.5', INVALID_PARAMETER, /integer.*got 1\.5/],
  ['join a string roomId without useStringRoomId', INVALID_PARAMETER, /useStringRoomId/],
  ['join a 65-character string roomId', INVALID_PARAMETER, /1-64 characters/],
  ['join with a userId with spaces', INVALID_PARAMETER, /userId.*"has space"/],
  ['join with an unknown mode', INVALID_PARAMETER, /mode.*"meeting"/],
  ['join with a non-numeric sdkAppId', INVALID_PARAMETER, /sdkAppId/],
  ['join with an unknown role', INVALID_PARAMETER, /role.*"host"/],
  ['leave when not joined', null],
  ['publish before join', INVALID_OPERATION, /publish\(\).*join\(\) first/],
  ['publish something else than a LocalStream', INVALID_PARAMETER, /LocalStream/],
  ['publish an uninitialized stream', INVALID_OPERATION, /initialize\(\)/],
  ['publish as an audience member', INVALID_OPERATION, /audience/],
  ['unpublish a stream that is not published', INVALID_OPERATION, /not published/],
  ['subscribe before join', INVALID_OPERATION, /subscribe\(\).*join\(\) first/],
  ['subscribe something else than a RemoteStream', INVALID_PARAMETER, /RemoteStream/],
  ['subscribe to a stream that is gone', REMOTE_STREAM_NOT_EXIST, /"pub".*no longer exists/],
  ['unsubscribe a stream that is gone', REMOTE_STREAM_NOT_EXIST, /"pub".*no longer exists/],
  ['switchRole before join', INVALID_OPERATION, /switchRole\(\).*join\(\) first/],
  ['switchRole in rtc mode', INVALID_OPERATION, /live mode/],
  ['switchRole to an unknown role', INVALID_PARAMETER, /role.*"host"/],
  ['sendSEIMessage before join', INVALID_OPERATION, /sendSEIMessage\(\).*join\(\) first/],
  ['sendSEIMessage without publishing video', INVALID_OPERATION, /published stream with video/],
  ['sendSEIMessage of 1001 bytes', INVALID_PARAMETER, /1 to 1000 bytes, got 1001/],
  ['sendSEIMessage of 0 bytes', INVALID_PARAMETER, /1 to 1000 bytes, got 0/],
  ['sendSEIMessage of a string', INVALID_PARAMETER, /ArrayBuffer.*got string/],
  ['sendSEIMessage with seiPayloadType 6', INVALID_PARAMETER, /seiPayloadType.*243.*got 6/],
  ['enableAudioVolumeEvaluation with a non-numeric interval', INVALID_PARAMETER, /interval.*fast/],
  ["getRemoteVideoStats('big')", INVALID_PARAMETER, /'main' or 'auxiliary', got big/],
  ['join after destroy', INVALID_OPERATION, /destroyed/],
  ['join right after destroy() (not awaited)', INVALID_OPERATION, /destroyed/],
  [
    'startPublishCDNStream with nothing published',
    INVALID_OPERATION,
    /nothing to relay: no main stream is published/,
  ],
  ['setProxyServer (not in Parley yet)', NOT_SUPPORTED, /setProxyServer\(\).*serverUrl/],
  ['enableSmallStream after publish', INVALID_OPERATION, /before publish\(\) or after unpublish/],
  ['disableSmallStream after publish', INVALID_OPERATION, /before publish\(\) or after unpublish/],
  ['enableSmallStream before join', null],
  ['setSmallStreamProfile with width 0', INVALID_PARAMETER, /width must be a number .* got 0/],
  ['setRemoteVideoStreamType before join', INVALID_PARAMETER, /RemoteStream/],
  ["setRemoteVideoStreamType 'medium'", INVALID_PARAMETER, /'big' or 'small', got "medium"/],
  [
    'setRemoteVideoStreamType of a stream that is gone',
    REMOTE_STREAM_NOT_EXIST,
    /"pub".*no longer exists/,
  ],
];

/** v4 throws these synchronously (they return nothing); every other method rejects. */
const SYNC_METHODS =
  /^(sendSEIMessage|enableAudioVolumeEvaluation|setProxyServer|setSmallStreamProfile)/;

describe('Client argument and state errors', () => {
  for (const [name, code, message] of TABLE) {
    const title =
      code === null ? `${name}: resolves` : `${name}: 0x${code.toString(16)} naming the problem`;
    it(title, async () => {
      const outcome = await run(name);
      if (code === null) {
        expect(outcome).toEqual({ ok: true });
        return;
      }
      expect(outcome).toMatchObject({ ok: false, code, isRtcError: true });
      expect(outcome.message).toMatch(message!);
      // Async API failures are rejections an app can .catch(); the void ones throw.
      expect(outcome.sync, 'threw synchronously').toBe(SYNC_METHODS.test(name));
    });
  }
});
