/**
 * Hostile signaling frames, generated fast from a seeded PRNG: malformed (not JSON, wrong
 * shapes and types, binary, deep nesting, prototype keys), truncated (a valid frame cut
 * short), oversized (over the 64 KiB limit, a few far over it), out of order (requests before
 * join or after leave, answers to requests never sent, resume with made-up tokens) and
 * well-formed but forbidden (other rooms' users and streams, forged keys and signatures, bad
 * SDP, a second join). Each frame says which kind it is, for the report.
 */
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '@parley/protocol';
import { genPrivateMapKey, genUserSig, Privilege } from '@parley/usersig';
import type { Random } from './random.js';

export type FrameKind = 'malformed' | 'truncated' | 'oversized' | 'out-of-order' | 'forbidden';

export interface FuzzFrame {
  kind: FrameKind;
  data: string | Buffer;
}

export interface FuzzContext {
  sdkAppId: number;
  secretKey: string;
  /** The room of the real call, and its users: what a fuzzer must never reach. */
  callRoom: number;
  callUsers: readonly string[];
  /** Rooms the fuzzers may join. */
  fuzzRooms: readonly number[];
}

const STREAM_TYPES = ['main', 'auxiliary', 'screen', '', 7] as const;
const KINDS = ['audio', 'video', 'data'] as const;
const METHODS = [
  'join',
  'resume',
  'publish',
  'unpublish',
  'subscribe',
  'unsubscribe',
  'mute',
  'switch-role',
  'sei',
  'update-private-map-key',
  'leave',
  'ping',
  'offer',
  'admin',
  '__proto__',
  'constructor',
] as const;

/** A minimal SDP that parses as text but is not an offer the server can use. */
const BOGUS_SDP = [
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n',
  'v=0\r\nm=video 0 RTP/AVP 0\r\na=mid:0\r\na=sendonly\r\n',
  'v=0\r\n' + 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n'.repeat(12),
  'x',
];

export class FuzzMessages {
  readonly #sigs = new Map<string, string>();
  readonly #keys: string[];
  #nextId = 1;

  constructor(
    private readonly rnd: Random,
    private readonly ctx: FuzzContext,
  ) {
    const key = (userId: string, roomId: number, privilege: number, expire = 600) =>
      genPrivateMapKey({
        sdkAppId: ctx.sdkAppId,
        key: ctx.secretKey,
        userId,
        roomId,
        privilege,
        expire,
      });
    // Real keys of the wrong user, room or app; expired; without the enter bit.
    this.#keys = [
      ...ctx.callUsers.map((u) => key(u, ctx.callRoom, Privilege.ALL)),
      key('f1', ctx.callRoom, Privilege.ALL),
      key('f1', ctx.fuzzRooms[0]!, Privilege.ALL & ~Privilege.ENTER_ROOM),
      genPrivateMapKey({
        sdkAppId: ctx.sdkAppId + 1,
        key: ctx.secretKey,
        userId: 'f1',
        roomId: ctx.fuzzRooms[0]!,
        privilege: Privilege.ALL,
      }),
      genPrivateMapKey({
        sdkAppId: ctx.sdkAppId,
        key: ctx.secretKey,
        userId: 'f1',
        roomId: ctx.fuzzRooms[0]!,
        privilege: Privilege.ALL,
        expire: 1,
        now: 1_600_000_000,
      }),
      'eJyrVkrOyczNTFWyUqpWMlSqBQAw0AWz',
      '',
    ];
  }

  /** A valid userSig for a fuzzer's own userId (cached: signing is the slow part). */
  userSig(userId: string): string {
    let sig = this.#sigs.get(userId);
    if (sig === undefined) {
      sig = genUserSig({
        sdkAppId: this.ctx.sdkAppId,
        key: this.ctx.secretKey,
        userId,
        expire: 3600,
      });
      this.#sigs.set(userId, sig);
    }
    return sig;
  }

  /** The valid join a fuzzer opens its session with. */
  join(userId: string, roomId: number): string {
    return this.#request('join', this.#joinData(userId, roomId));
  }

  ping(id: number): string {
    return JSON.stringify({ type: 'req', id, method: 'ping', data: {} });
  }

  /** One frame of a kind chosen by weight (forbidden and out-of-order requests dominate). */
  any(joined: boolean): FuzzFrame {
    const r = this.rnd.next();
    if (r < 0.45) return { kind: 'forbidden', data: this.forbidden() };
    if (r < 0.7) return { kind: 'out-of-order', data: this.outOfOrder(joined) };
    if (r < 0.85) return { kind: 'malformed', data: this.malformed() };
    if (r < 0.995) return { kind: 'truncated', data: this.truncated() };
    return { kind: 'oversized', data: this.oversized() };
  }

  /** Frames that fail validation: each counts toward the connection's invalid-frame limit. */
  garbage(): FuzzFrame {
    const r = this.rnd.next();
    if (r < 0.55) return { kind: 'malformed', data: this.malformed() };
    if (r < 0.95) return { kind: 'truncated', data: this.truncated() };
    return { kind: 'oversized', data: this.oversized() };
  }

  forbidden(): string {
    const rnd = this.rnd;
    const { callUsers, callRoom } = this.ctx;
    const someone = () =>
      rnd.pick([
        ...callUsers,
        ...callUsers,
        `f${rnd.int(0, 300)}`,
        rnd.string(rnd.int(1, 32), 'abcxyz_-0123456789'),
      ]);
    switch (rnd.int(0, 11)) {
      case 0:
      case 1:
        return this.#request('subscribe', {
          userId: someone(),
          streamType: rnd.pick(['main', 'auxiliary']),
          audio: rnd.chance(0.5),
          video: rnd.chance(0.5),
        });
      case 2:
        return this.#request('unsubscribe', {
          userId: someone(),
          streamType: rnd.pick(['main', 'auxiliary']),
        });
      case 3:
        return this.#request('mute', {
          streamType: rnd.pick(['main', 'auxiliary']),
          kind: rnd.pick(['audio', 'video']),
          muted: rnd.chance(0.5),
        });
      case 4:
        return this.#request('unpublish', { streamType: rnd.pick(['main', 'auxiliary']) });
      case 5:
        return this.#request('switch-role', { role: rnd.pick(['anchor', 'audience']) });
      case 6:
        return this.#request('sei', { payloadType: rnd.pick([5, 243]), data: 'AQIDBA==' });
      case 7:
        return this.#request('update-private-map-key', {
          privateMapKey: rnd.pick(this.#keys) || 'x',
        });
      case 8:
        return this.#request('publish', {
          sdp: rnd.pick(BOGUS_SDP),
          tracks: [
            {
              mid: String(rnd.int(0, 3)),
              kind: rnd.pick(['audio', 'video']),
              streamType: 'main',
              muted: false,
            },
          ],
        });
      case 9: {
        // Into the call's room as one of its users, with a signature that is not theirs.
        const user = rnd.pick(callUsers);
        return this.#request('join', {
          ...this.#joinData(user, callRoom),
          userSig: rnd.pick([
            this.userSig('f1'),
            this.userSig(`f${rnd.int(2, 50)}`),
            'eJx' + rnd.string(40, 'abcdef*-_'),
          ]),
          ...(rnd.chance(0.5) ? { privateMapKey: rnd.pick(this.#keys) || 'x' } : {}),
        });
      }
      case 10:
        return this.#request('join', {
          ...this.#joinData('f1', callRoom),
          sdkAppId: this.ctx.sdkAppId + rnd.int(1, 9),
        });
      default:
        return this.#request('join', {
          ...this.#joinData(`f${rnd.int(0, 300)}`, rnd.pick(this.ctx.fuzzRooms)),
          protocolVersion: rnd.pick([0, 2, 99, -1]),
        });
    }
  }

  outOfOrder(joined: boolean): string {
    const rnd = this.rnd;
    switch (rnd.int(0, 6)) {
      case 0:
        // A second join on a joined socket, or a join after its leave.
        return this.join(`f${rnd.int(0, 300)}`, rnd.pick(this.ctx.fuzzRooms));
      case 1:
        return this.#request('resume', {
          protocolVersion: PROTOCOL_VERSION,
          resumeToken: rnd.string(rnd.int(0, 40), 'ABCDEFabcdef0123456789-_'),
        });
      case 2:
        // Answers to server requests that were never sent (or are someone else's).
        return JSON.stringify({
          type: 'res',
          id: rnd.int(0, 2 ** 31),
          ok: rnd.chance(0.7),
          ...(rnd.chance(0.7)
            ? { data: { sdp: rnd.pick(BOGUS_SDP) } }
            : { error: { code: 1, message: 'no' } }),
        });
      case 3:
        return JSON.stringify({
          type: 'ntf',
          method: 'candidate',
          data: {
            pc: rnd.pick(['publisher', 'subscriber']),
            candidate: {
              candidate: `candidate:1 1 udp 1 10.${rnd.int(0, 255)}.0.1 ${rnd.int(1, 65535)} typ host`,
              sdpMid: '0',
            },
          },
        });
      case 4:
        return this.#request('leave', {});
      case 5:
        return this.#request(
          joined ? 'ping' : rnd.pick(['publish', 'subscribe', 'mute', 'sei']),
          joined ? {} : { userId: 'alice', streamType: 'main', audio: true, video: true },
        );
      default:
        return this.#request('ping', {});
    }
  }

  malformed(): string | Buffer {
    const rnd = this.rnd;
    switch (rnd.int(0, 11)) {
      case 0:
        return rnd.string(rnd.int(0, 200));
      case 1:
        return rnd.bytes(rnd.int(1, 300)); // a binary frame
      case 2:
        return JSON.stringify(rnd.pick([null, 0, -1, 1e308, true, 'req', [], [1, 2, 3], {}]));
      case 3:
        return JSON.stringify({
          type: rnd.pick(['req', 'res', 'ntf', 'REQ', 'x', 1, null]),
          id: rnd.pick([1, -1, 1.5, '1', null, 2 ** 60]),
          method: rnd.pick(METHODS),
          data: rnd.pick([null, [], 'x', 5, {}]),
        });
      case 4:
        return JSON.stringify({
          type: 'req',
          id: this.#nextId++,
          method: rnd.pick(METHODS),
          data: this.#randomValue(3),
        });
      case 5:
        return '['.repeat(rnd.int(100, 20_000)) + ']'.repeat(rnd.int(0, 100));
      case 6:
        return '{"type":"req","id":1,"method":"join","data":{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}}';
      case 7:
        return JSON.stringify({
          type: 'req',
          id: this.#nextId++,
          method: 'subscribe',
          data: {
            userId: rnd.string(rnd.int(0, 64)),
            streamType: rnd.pick(STREAM_TYPES),
            audio: 'yes',
            video: 1,
          },
        });
      case 8:
        return JSON.stringify({
          type: 'req',
          id: this.#nextId++,
          method: 'mute',
          data: {
            streamType: rnd.pick(STREAM_TYPES),
            kind: rnd.pick(KINDS),
            muted: rnd.pick([true, 'false', 0]),
          },
        });
      case 9:
        return JSON.stringify({
          type: 'req',
          id: this.#nextId++,
          method: 'sei',
          data: { payloadType: rnd.int(0, 300), data: rnd.string(rnd.int(0, 2000), 'ABC=+/!') },
        });
      case 10:
        return JSON.stringify({
          type: 'req',
          id: this.#nextId++,
          method: 'join',
          data: {
            ...this.#joinData('f1', 1),
            room: rnd.pick([
              { kind: 'number', id: -1 },
              { kind: 'string', id: '\u0000' },
              { kind: 'x' },
              5,
              null,
            ]),
          },
        });
      default:
        return '\ufeff{"type":"req","id":1,"method":"ping","data":{}}';
    }
  }

  /** A well-formed request cut short at a random point. */
  truncated(): string {
    const whole = this.rnd.chance(0.5)
      ? this.forbidden()
      : this.join(`f${this.rnd.int(0, 300)}`, 1);
    return whole.slice(0, this.rnd.int(0, whole.length - 1));
  }

  /** Over the 64 KiB limit; now and then far over it (16×: the server closes the socket). */
  oversized(): string {
    const huge = this.rnd.chance(0.1);
    const size = huge
      ? 16 * MAX_MESSAGE_BYTES + this.rnd.int(1, 1000)
      : MAX_MESSAGE_BYTES + this.rnd.int(1, 64 * 1024);
    const pad = 'A'.repeat(size);
    return `{"type":"req","id":${this.#nextId++},"method":"sei","data":{"payloadType":243,"data":"${pad}"}}`;
  }

  #request(method: string, data: unknown): string {
    return JSON.stringify({ type: 'req', id: this.#nextId++, method, data });
  }

  #joinData(userId: string, roomId: number): Record<string, unknown> {
    return {
      protocolVersion: PROTOCOL_VERSION,
      sdkVersion: 'fuzz',
      sdkAppId: this.ctx.sdkAppId,
      userId,
      userSig: this.userSig(userId),
      room: { kind: 'number', id: roomId },
      mode: 'rtc',
      role: 'anchor',
      autoSubscribe: this.rnd.chance(0.2),
    };
  }

  #randomValue(depth: number): unknown {
    const rnd = this.rnd;
    const r = rnd.int(0, depth > 0 ? 7 : 4);
    switch (r) {
      case 0:
        return null;
      case 1:
        return rnd.int(-(2 ** 40), 2 ** 40) / rnd.pick([1, 3, 0.5]);
      case 2:
        return rnd.chance(0.5);
      case 3:
        return rnd.string(rnd.int(0, 40));
      case 4:
        return rnd.pick(['main', 'audio', 'alice', 'anchor', '', 'video']);
      case 5:
        return Array.from({ length: rnd.int(0, 5) }, () => this.#randomValue(depth - 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = rnd.int(0, 6); i > 0; i--) {
          o[
            rnd.pick([
              'userId',
              'streamType',
              'kind',
              'sdp',
              'tracks',
              'room',
              'role',
              'muted',
              rnd.string(4, 'xyz'),
            ])
          ] = this.#randomValue(depth - 1);
        }
        return o;
      }
    }
  }
}
