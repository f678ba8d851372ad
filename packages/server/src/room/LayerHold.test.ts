import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsumerEvents, MediaConsumer } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { LayerHold } from './LayerHold.js';

/** A consumer whose engine moves layers when the test says so; records what it was asked. */
class FakeConsumer extends SafeEmitter<ConsumerEvents> {
  closed = false;
  asked: number[] = [];
  setPreferredLayers(layers: { spatial: number }): Promise<void> {
    this.asked.push(layers.spatial);
    return Promise.resolve();
  }
  sends(spatial: number | null): void {
    this.safeEmit('layerschange', spatial === null ? null : { spatial, temporal: 2 });
  }
}

const options = { baseHoldMs: 8_000, maxHoldMs: 32_000, probationMs: 20_000 };

describe('LayerHold', () => {
  let consumer: FakeConsumer;
  let hold: LayerHold;
  beforeEach(() => {
    vi.useFakeTimers();
    consumer = new FakeConsumer();
    hold = new LayerHold(consumer as unknown as MediaConsumer, 1, options);
  });
  afterEach(() => vi.useRealTimers());

  it('holds the layer the engine fell to, then lets it climb to what the viewer asked', () => {
    consumer.sends(1);
    consumer.sends(0);
    expect(hold.held).toBe(0);
    expect(consumer.asked).toEqual([0]);
    vi.advanceTimersByTime(7_999);
    expect(consumer.asked).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(hold.held).toBeNull();
    expect(consumer.asked).toEqual([0, 1]);
  });

  it('lets the engine try the higher layer at each climb, not while holding', () => {
    let tries = 0;
    const tried = new LayerHold(consumer as unknown as MediaConsumer, 1, {
      ...options,
      tryClimb: () => {
        tries++;
        return Promise.resolve();
      },
    });
    consumer.sends(1);
    consumer.sends(0);
    expect(tried.held).toBe(0);
    vi.advanceTimersByTime(7_999);
    expect(tries).toBe(0);
    vi.advanceTimersByTime(1);
    expect(tried.held).toBeNull();
    expect(tries).toBe(1);
  });

  it('doubles the hold after a climb that fails soon, up to the maximum', () => {
    consumer.sends(1);
    consumer.sends(0);
    const holds: number[] = [];
    for (let i = 0; i < 4; i++) {
      const askedBefore = consumer.asked.length;
      let waited = 0;
      while (consumer.asked.length === askedBefore) {
        vi.advanceTimersByTime(1_000);
        waited += 1_000;
      }
      holds.push(waited);
      consumer.sends(1); // the climb
      vi.advanceTimersByTime(2_000);
      consumer.sends(0); // and it fails
    }
    expect(holds).toEqual([8_000, 16_000, 32_000, 32_000]);
  });

  it('starts again from the base hold when a climb lasted past probation', () => {
    consumer.sends(1);
    consumer.sends(0);
    vi.advanceTimersByTime(8_000);
    consumer.sends(1);
    vi.advanceTimersByTime(25_000);
    consumer.sends(0);
    vi.advanceTimersByTime(7_999);
    expect(hold.held).toBe(0);
    vi.advanceTimersByTime(1);
    expect(hold.held).toBeNull();
  });

  it('ignores rises, temporal-only changes, pauses and the drop the viewer asked for', async () => {
    consumer.sends(0);
    consumer.sends(1);
    consumer.sends(1);
    consumer.sends(null);
    consumer.sends(0);
    expect(consumer.asked).toEqual([]);
    await hold.setCeiling(0);
    consumer.sends(1);
    consumer.sends(0);
    expect(hold.held).toBeNull();
    expect(consumer.asked).toEqual([0]);
  });

  it('a choice of the viewer ends a hold at once', async () => {
    consumer.sends(1);
    consumer.sends(0);
    await hold.setCeiling(1);
    expect(hold.held).toBeNull();
    expect(consumer.asked).toEqual([0, 1]);
    vi.advanceTimersByTime(60_000);
    expect(consumer.asked).toEqual([0, 1]);
  });

  it('does nothing more once the consumer closed', () => {
    consumer.sends(1);
    consumer.sends(0);
    consumer.closed = true;
    consumer.safeEmit('close', 'closed');
    vi.advanceTimersByTime(60_000);
    expect(consumer.asked).toEqual([0]);
  });
});
