import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsumerEvents, MediaConsumer } from '../media/MediaEngine.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { LayerSelector, type LayerSelectorOptions, type PathPort } from './LayerSelector.js';
import type { PathReading } from './PathJudge.js';

/** A consumer whose engine moves layers when the test says so; records what it was asked. */
class FakeConsumer extends SafeEmitter<ConsumerEvents> {
  closed = false;
  paused = false;
  asked: number[] = [];
  keyframes: number[] = [];
  requestKeyframe(): Promise<void> {
    this.keyframes.push(Date.now());
    return Promise.resolve();
  }
  setPreferredLayers(layers: { spatial: number }): Promise<void> {
    this.asked.push(layers.spatial);
    return Promise.resolve();
  }
  sends(spatial: number | null): void {
    this.safeEmit('layerschange', spatial === null ? null : { spatial, temporal: 2 });
  }
}

/**
 * The viewer's path as the selector reads it each second: the test sets loss, round trip and
 * estimate; the counters advance by 100 packets a reading. Records the floors asked for.
 */
class FakePath implements PathPort {
  loss = 0;
  rttMs = 20;
  estimateBps: number | null = 1_000_000;
  streamBps = 1_600_000;
  floors: { bps: number; ms: number; at: number }[] = [];
  probes: number[] = [];
  #sent = 0;
  #lost = 0;
  floor(bps: number, ms: number): Promise<void> {
    this.floors.push({ bps, ms, at: Date.now() });
    return Promise.resolve();
  }
  probe(): Promise<void> {
    this.probes.push(Date.now());
    return Promise.resolve();
  }
  read(): Promise<PathReading> {
    this.#sent += 100;
    this.#lost += Math.round(this.loss * 100);
    return Promise.resolve({
      estimateBps: this.estimateBps,
      streamBps: this.streamBps,
      packetsSent: this.#sent,
      packetsLost: this.#lost,
      rttMs: this.rttMs,
    });
  }
}

const options: Partial<LayerSelectorOptions> = {
  baseHoldMs: 8_000,
  maxHoldMs: 32_000,
  probationMs: 20_000,
  startProbeMs: 6_000,
  probeMs: 2_000,
  settleMs: 3_000,
};

describe('LayerSelector', () => {
  let consumer: FakeConsumer;
  let path: FakePath;
  let selector: LayerSelector;
  const make = (ceiling = 1) =>
    new LayerSelector(consumer as unknown as MediaConsumer, ceiling, 1, path, options);
  /** Lets the clock run, readings included (they resolve on the microtask queue). */
  const run = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    consumer = new FakeConsumer();
    path = new FakePath();
  });
  afterEach(() => {
    selector?.close();
    vi.useRealTimers();
  });

  it('probes a new viewer up to the stream at once: floors the estimate, refreshed as the encoder ramps, then stops', async () => {
    path.streamBps = 400_000;
    selector = make();
    await run(0);
    expect(path.floors.map((f) => f.bps)).toEqual([520_000]);
    path.streamBps = 1_600_000;
    await run(3_000);
    expect(path.floors.at(-1)!.bps).toBe(2_080_000);
    const during = path.floors.length;
    expect(during).toBe(4);
    await run(30_000);
    // The start probe lasts startProbeMs (6 s): a floor at each reading until then, none after.
    expect(path.floors.length).toBe(6);
    expect(path.floors.every((f) => f.at < 6_000)).toBe(true);
    expect(consumer.asked).toEqual([]);
  });

  it('reads nothing of a consumer closed before its selector was made, nor while it is paused', async () => {
    let reads = 0;
    const read = path.read.bind(path);
    path.read = () => {
      reads++;
      return read();
    };
    consumer.closed = true;
    selector = make();
    await run(5_000);
    expect(reads).toBe(0);
    consumer = new FakeConsumer();
    consumer.paused = true;
    selector = make();
    await run(5_000);
    expect(reads).toBe(0);
    consumer.paused = false;
    await run(2_000);
    expect(reads).toBe(2);
  });

  it('a viewer that asked for the small stream is not probed', async () => {
    selector = make(0);
    await run(10_000);
    expect(path.floors).toEqual([]);
    consumer.sends(0);
    expect(selector.state).toEqual({ spatial: 0, layer: 'small', ceiling: 0, reason: 'app' });
  });

  it('one dip of the estimate (no loss, no queueing in the next readings): no hold; padding probes bring it back', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    expect(selector.state.reason).toBe('app');
    const floors = path.floors.length;
    consumer.sends(0);
    expect(selector.held).toBeNull();
    expect(selector.state).toMatchObject({ layer: 'small', reason: 'estimate' });
    // Judged on the next two readings (receiver reports come late): clean, so no hold, and
    // a probe of padding from then on at each reading.
    await run(2_000);
    expect(selector.held).toBeNull();
    expect(consumer.asked).toEqual([]);
    expect(path.floors.length).toBe(floors);
    expect(path.probes).toEqual([12_000]);
    // The probe finds room: a climb, helped by a floor.
    path.estimateBps = 2_500_000;
    await run(1_000);
    expect(consumer.asked).toEqual([1]);
    expect(path.floors.at(-1)).toMatchObject({ bps: 2_080_000, ms: 2_000 });
    consumer.sends(1);
    expect(selector.state).toMatchObject({ layer: 'big', reason: 'app' });
  });

  it('a move down of the engine followed by loss in the next readings is held', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    consumer.sends(0);
    path.loss = 0.06;
    await run(2_000);
    expect(selector.held).toBe(0);
    expect(consumer.asked).toEqual([0]);
    expect(selector.state).toMatchObject({ layer: 'small', reason: 'hold' });
  });

  it('dips without loss, however many, never hold; a late receiver report alone is no shortfall', async () => {
    selector = make();
    await run(10_000);
    for (let i = 0; i < 5; i++) {
      consumer.sends(1);
      consumer.sends(0);
      // One receiver report late on a loaded machine: a round trip of 270 ms, no loss, the
      // engine's estimate above the stream.
      path.rttMs = i % 2 ? 270 : 20;
      path.estimateBps = 2_000_000;
      await run(3_000);
    }
    expect(selector.held).toBeNull();
    expect(consumer.asked.filter((l) => l === 0)).toEqual([]);
  });

  it('a grown round trip with the estimate under the stream is queueing: held', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.rttMs = 250;
    path.estimateBps = 900_000;
    await run(2_000);
    expect(selector.held).toBe(0);
  });

  it("a hold made on queueing alone ends once the engine's own estimate covers the stream for two readings (no probe of ours)", async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    // A loaded machine: late reports and an estimate dip, no loss.
    path.rttMs = 250;
    path.estimateBps = 900_000;
    await run(2_000);
    expect(selector.held).toBe(0);
    consumer.sends(0);
    path.rttMs = 20;
    // The engine's estimate climbs back on its own; one reading over 1.5 × the stream is not
    // enough, nor are readings in the settling time after the move down.
    path.estimateBps = 2_500_000;
    await run(2_000);
    expect(selector.held).toBe(0);
    const asked = consumer.asked.length;
    await run(2_000);
    expect(selector.held).toBeNull();
    expect(consumer.asked.slice(asked)).toEqual([1]);
    expect(path.probes).toEqual([]);
    expect(selector.state.reason).toBe('estimate');
  });

  it('a hold made on queueing alone keeps to its timer while the estimate stays under 1.5 × the stream', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.rttMs = 250;
    path.estimateBps = 900_000;
    await run(2_000);
    consumer.sends(0);
    path.rttMs = 20;
    path.estimateBps = 2_300_000; // 1.44 × the stream
    await run(7_000);
    expect(selector.held).toBe(0);
    expect(path.probes).toEqual([]);
  });

  it('loss reported after a hold made on queueing keeps it to its timer', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.rttMs = 250;
    path.estimateBps = 900_000;
    await run(2_000);
    expect(selector.held).toBe(0);
    consumer.sends(0);
    path.rttMs = 20;
    // The receiver reports of the big layer's last second come late, with its loss.
    path.loss = 0.08;
    await run(1_000);
    path.loss = 0;
    path.estimateBps = 3_000_000;
    await run(6_000);
    expect(selector.held).toBe(0);
    await run(2_000);
    expect(selector.held).toBeNull();
  });

  it('an early end of a queueing hold that fails: later holds keep to their timers', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.rttMs = 250;
    path.estimateBps = 900_000;
    await run(2_000);
    consumer.sends(0);
    path.rttMs = 20;
    path.estimateBps = 2_500_000;
    await run(4_000);
    expect(selector.held).toBeNull();
    // The big layer does not fit after all: the engine falls back at once.
    consumer.sends(1);
    consumer.sends(0);
    expect(selector.held).toBe(0);
    // A doubled hold (16 s) that the estimate, however high, does not end.
    await run(15_000);
    expect(selector.held).toBe(0);
    await run(2_000);
    expect(selector.held).toBeNull();
  });

  it('the start probe ends once the engine sends the big layer (two readings) and lifts its floor', async () => {
    selector = make();
    await run(0);
    consumer.sends(1);
    await run(2_000);
    expect(path.floors.at(-1)).toMatchObject({ bps: 0 });
    const floors = path.floors.length;
    await run(10_000);
    expect(path.floors.length).toBe(floors);
  });

  it('moves down at once on a sustained shortfall, before the engine does, and lifts any floor', async () => {
    selector = make();
    await run(1_000);
    consumer.sends(1);
    // The start probe is on: the cap shows as loss and a grown round trip.
    path.loss = 0.08;
    path.rttMs = 220;
    await run(1_000);
    expect(consumer.asked).toEqual([]); // one reading is not a trend
    await run(1_000);
    expect(consumer.asked).toEqual([0]);
    expect(selector.held).toBe(0);
    expect(path.floors.at(-1)).toMatchObject({ bps: 0 });
    // The engine follows; nothing more is asked but a fresh keyframe of the new layer, once
    // the bigger layer's queue drained.
    consumer.sends(0);
    const switched = Date.now();
    await run(3_000);
    expect(consumer.asked).toEqual([0]);
    expect(consumer.keyframes).toEqual([switched + 400]);
  });

  it('one reading of heavy loss is enough to move down (a stall would only grow waiting for a second)', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.loss = 0.25;
    await run(1_000);
    expect(consumer.asked).toEqual([0]);
  });

  it('a hold made on loss runs its timer: no probes, and an estimate reading high does not end it', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.loss = 0.08;
    await run(2_000);
    expect(selector.held).toBe(0);
    consumer.sends(0);
    // Under a cap a probe through a shaper's burst allowance reads twice the stream.
    path.loss = 0;
    path.estimateBps = 3_200_000;
    await run(7_000);
    expect(selector.held).toBe(0);
    expect(path.probes).toEqual([]);
    await run(2_000);
    expect(selector.held).toBeNull();
    expect(consumer.asked).toEqual([0, 1]);
  });

  it('a climb made on a probe after a dip that fails: holds, and later dips are left to the engine', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    consumer.sends(0);
    await run(2_000);
    path.estimateBps = 2_500_000; // a probe that overshot
    await run(1_000);
    expect(consumer.asked).toEqual([1]);
    // The big layer does not fit after all.
    consumer.sends(1);
    path.loss = 0.08;
    await run(2_000);
    expect(selector.held).toBe(0);
    consumer.sends(0);
    path.loss = 0;
    // A doubled hold (16 s), then a climb on the timer that holds.
    await run(15_000);
    expect(selector.held).toBe(0);
    await run(2_000);
    expect(selector.held).toBeNull();
    consumer.sends(1);
    await run(25_000);
    // A later dip: no probes any more (they misled once), no hold either.
    const probes = path.probes.length;
    consumer.sends(0);
    await run(5_000);
    expect(path.probes.length).toBe(probes);
    expect(selector.state).toMatchObject({ layer: 'small', reason: 'estimate' });
  });

  it('an estimate below the stream keeps the hold to its timer', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.loss = 0.08;
    await run(2_000);
    consumer.sends(0);
    path.loss = 0;
    path.estimateBps = 900_000;
    await run(7_000);
    expect(selector.held).toBe(0);
    await run(2_000);
    expect(selector.held).toBeNull();
    expect(consumer.asked).toEqual([0, 1]);
  });

  it('under a cap that stays: each failed climb doubles the hold (no flapping)', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.estimateBps = 800_000;
    path.loss = 0.08;
    path.rttMs = 220;
    await run(2_000);
    consumer.sends(0);
    // Only the small layer goes out: no loss, no queue, an estimate under the stream.
    path.loss = 0;
    path.rttMs = 20;
    const climbs: number[] = [];
    const start = Date.now();
    for (let t = 0; t < 120; t++) {
      const asked = consumer.asked.length;
      await run(1_000);
      if (consumer.asked.length > asked && consumer.asked.at(-1) === 1) {
        climbs.push(Date.now() - start);
        // The big layer hits the cap again: loss and queueing, the engine falls back.
        consumer.sends(1);
        path.loss = 0.08;
        path.rttMs = 220;
        await run(2_000);
        consumer.sends(0);
        path.loss = 0;
        path.rttMs = 20;
      }
    }
    // Holds of 8, then 16, 32, 32 s (each plus the 2 s the failed climb lasted): five climbs
    // in over two minutes, never closer than the last.
    expect(climbs).toEqual([8_000, 26_000, 60_000, 94_000, 128_000]);
  });

  it("the viewer's choice is its ceiling, ends a hold at once and says 'app'", async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.loss = 0.08;
    await run(2_000);
    consumer.sends(0);
    expect(selector.state.reason).toBe('hold');
    await selector.setCeiling(0);
    expect(selector.held).toBeNull();
    expect(selector.state).toEqual({ spatial: 0, layer: 'small', ceiling: 0, reason: 'app' });
    await selector.setCeiling(1);
    expect(consumer.asked).toEqual([0, 0, 1]);
    // Asking for the big stream probes for it.
    expect(path.floors.at(-1)!.bps).toBeGreaterThan(0);
  });

  it('ignores rises, pauses and the drop the viewer asked for', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(0);
    consumer.sends(1);
    consumer.sends(null);
    consumer.sends(0);
    expect(consumer.asked).toEqual([]);
    await selector.setCeiling(0);
    consumer.sends(1);
    consumer.sends(0);
    expect(selector.held).toBeNull();
  });

  it('reports changes of layer or reason once each', async () => {
    const seen: string[] = [];
    selector = new LayerSelector(consumer as unknown as MediaConsumer, 1, 1, path, {
      ...options,
      onChange: (s) => seen.push(`${s.layer}:${s.reason}`),
    });
    await run(10_000);
    consumer.sends(1);
    consumer.sends(1);
    consumer.sends(0);
    consumer.sends(1);
    expect(seen).toEqual(['big:app', 'small:estimate', 'big:app']);
  });

  it('does nothing more once the consumer closed', async () => {
    selector = make();
    await run(10_000);
    consumer.sends(1);
    path.loss = 0.08;
    await run(2_000);
    consumer.closed = true;
    consumer.safeEmit('close', 'closed');
    const floors = path.floors.length;
    await run(60_000);
    expect(consumer.asked).toEqual([0]);
    expect(path.floors.length).toBe(floors);
  });
});
