/**
 * The admission scripts on a real Redis: seats held for joins on their way, given back by the
 * join that held them, and a room closed only when nobody is in it or on the way in.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../test/redisTestKit.js';
import { keys } from './records.js';
import { RedisLink } from './RedisLink.js';

let redis: TestRedis;
let link: RedisLink;
const ROOM = '1400000001/n/77';
const LIMITS = { maxMembers: 2, maxRooms: 10 };

beforeAll(async () => {
  redis = await startRedis();
  link = new RedisLink(redis.url, pino({ level: 'silent' }));
  link.start();
  const deadline = Date.now() + 5000;
  while (!link.up) {
    if (Date.now() > deadline) throw new Error('redis not connected');
    await new Promise((r) => setTimeout(r, 20));
  }
});

beforeEach(async () => {
  await link.cmd.flushall();
});

afterAll(async () => {
  await link.close();
  await redis.kill();
});

const admit = (userId: string) => link.admit({ roomKey: ROOM, userId, ...LIMITS });
const seats = () => link.cmd.zrange(keys.pending(ROOM), 0, -1);

describe('admission seats', () => {
  it('counts joins on their way against the member limit, and a release frees only its own seat', async () => {
    const a = await admit('ann');
    expect(a).toMatchObject({ verdict: 'admitted', opened: true });
    const b = await admit('ann'); // the same user again, on another node, before the first landed
    expect(b).toMatchObject({ verdict: 'admitted', opened: false });
    expect(await admit('bob')).toMatchObject({ verdict: 'room-full', count: 2 });
    // The first of ann's joins failed: the second one's seat stays.
    expect(await link.release(ROOM, 'ann', a.epoch)).toBe(false);
    expect(await seats()).toEqual([`${b.epoch}:ann`]);
    expect(await admit('bob')).toMatchObject({ verdict: 'admitted' });
  });

  it('closes the room on a release only when nobody is in it or on the way in', async () => {
    const a = await admit('ann');
    const b = await admit('bob');
    expect(await link.release(ROOM, 'ann', a.epoch)).toBe(false);
    expect(await link.cmd.sismember(keys.rooms, ROOM)).toBe(1);
    expect(await link.release(ROOM, 'bob', b.epoch)).toBe(true);
    expect(await link.cmd.sismember(keys.rooms, ROOM)).toBe(0);
  });

  it("a member's record landing frees the seat its join held", async () => {
    const a = await admit('ann');
    const put = await link.putMember({
      roomKey: ROOM,
      nodeRooms: keys.nodeRooms('node-x', 1),
      userId: 'ann',
      epoch: a.epoch,
      record: JSON.stringify({ state: { epoch: a.epoch } }),
      message: '{}',
    });
    expect(put).toBe(1);
    expect(await seats()).toEqual([]);
    // ann is a member now: she counts once, not twice.
    expect(await admit('bob')).toMatchObject({ verdict: 'admitted' });
    expect(await admit('cat')).toMatchObject({ verdict: 'room-full', count: 2 });
  });
});
