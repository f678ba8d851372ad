/** SEI messages: sendSEIMessage() bytes arrive at the others, exact and in order. */
import { describe, expect, it } from 'vitest';
import { receivingFrom, sleep, useE2eEnvironment } from '../harness.js';
import { openJoined, randomRoom, recorded, waitForEvent, type CompatWindow } from './compatPage.js';

const env = useE2eEnvironment();

type SeiClient = {
  sendSEIMessage(buffer: ArrayBuffer | Uint8Array, options?: { seiPayloadType?: number }): void;
};

/** Five messages of different sizes (up to the 1000-byte limit) and contents. */
const MESSAGES: number[][] = [
  [1],
  [2, 0, 255, 128],
  Array.from({ length: 1000 }, (_, i) => (i * 7) % 256),
  Array.from(new TextEncoder().encode('caption: héllo wörld')),
  [5, 5, 5, 5, 5, 0],
];

describe('SEI messages', () => {
  it('delivers 5 messages to the others in order with the exact bytes', async () => {
    const roomId = randomRoom();
    const sender = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'sender',
      roomId,
      publish: true,
    });
    const receiver = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'receiver',
      roomId,
    });
    const bystander = await openJoined(env.browser, env.app.origin, env.parley, {
      userId: 'bystander',
      roomId,
    });
    await receivingFrom(receiver, ['sender']);
    await sender.evaluate((messages) => {
      const client = (window as unknown as CompatWindow).client as SeiClient;
      messages.forEach((bytes, i) => {
        // Both input kinds: ArrayBuffer, and a Uint8Array view into a larger buffer.
        if (i % 2 === 0) client.sendSEIMessage(new Uint8Array(bytes).buffer);
        else {
          const backing = new Uint8Array(bytes.length + 8).fill(0xee);
          backing.set(bytes, 4);
          client.sendSEIMessage(backing.subarray(4, 4 + bytes.length), { seiPayloadType: 5 });
        }
      });
    }, MESSAGES);
    for (const page of [receiver, bystander]) {
      await waitForEvent(
        page,
        'the fifth SEI message',
        (e) => e.name === 'sei-message' && e.bytes?.length === MESSAGES[4]!.length,
      );
      const got = await recorded(page, 'sei-message');
      expect(got.map((e) => e.bytes)).toEqual(MESSAGES);
      expect(got.every((e) => e.userId === 'sender' && e.isArrayBuffer)).toBe(true);
      expect(got.map((e) => e.seiPayloadType)).toEqual([243, 5, 243, 5, 243]);
    }
    await sleep(300);
    expect(await recorded(sender, 'sei-message')).toEqual([]);
  });
});
