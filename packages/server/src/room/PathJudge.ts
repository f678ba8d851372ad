/**
 * Judges a viewer's downlink from one-second readings of its video consumer: whether the
 * path is short of room now (receiver-reported loss or a round trip grown by queueing, seen
 * in most of the last readings, not once) and whether the engine's estimate covers a rate.
 * Pure bookkeeping over the readings given to it; LayerSelector asks it.
 */

/** One reading, taken every second (cumulative counters as the engine reports them). */
export interface PathReading {
  /** The engine's estimate of the viewer's downlink, bit/s (null: none yet). */
  estimateBps: number | null;
  /** What the publisher's whole stream (every layer) brings in now, bit/s. */
  streamBps: number;
  /** Packets sent to the viewer on this consumer so far. */
  packetsSent: number;
  /** Packets the viewer reported lost so far (RTCP receiver reports). */
  packetsLost: number;
  /** Round trip to the viewer, ms (null: unknown). */
  rttMs: number | null;
}

export interface PathJudgeOptions {
  /** Loss over a reading that counts as a shortfall (tail drops at a full queue). */
  lossFrom: number;
  /** Loss over one reading that is a shortfall by itself (a layer far over a new cap). */
  severeLossFrom: number;
  /** A round trip this much over the lowest seen counts as a shortfall (a growing queue). */
  queueDelayMs: number;
  /** How many of the last `window` readings must show it. */
  needed: number;
  window: number;
}

export const DEFAULT_PATH_JUDGE: PathJudgeOptions = {
  // A 1 Mbit/s cap under a 1.5 Mbit/s layer loses 20-30 % at once; a loaded loopback < 1 %.
  lossFrom: 0.05,
  severeLossFrom: 0.15,
  // The edge's 200 ms queue fills within a second under such a cap.
  queueDelayMs: 120,
  needed: 2,
  window: 3,
};

interface Judged {
  at: number;
  short: boolean;
  lossy: boolean;
  estimateBps: number | null;
  streamBps: number;
}

export class PathJudge {
  readonly #options: PathJudgeOptions;
  #last: PathReading | null = null;
  #minRttMs = Infinity;
  #recent: Judged[] = [];
  #severe = false;
  /** Estimates read before then are not the estimator's own (a floor was in force). */
  #estimatesFrom = -Infinity;

  constructor(options: PathJudgeOptions = DEFAULT_PATH_JUDGE) {
    this.#options = options;
  }

  /** Adds a reading; returns whether it showed a shortfall on its own. */
  add(reading: PathReading, at: number): boolean {
    const last = this.#last;
    this.#last = reading;
    if (reading.rttMs !== null && reading.rttMs > 0) {
      this.#minRttMs = Math.min(this.#minRttMs, reading.rttMs);
    }
    let short = false;
    let lossy = false;
    this.#severe = false;
    if (last) {
      const sent = reading.packetsSent - last.packetsSent;
      const lost = Math.max(0, reading.packetsLost - last.packetsLost);
      const loss = sent > 0 ? lost / (sent + lost) : 0;
      lossy = loss >= this.#options.lossFrom;
      if (lossy) short = true;
      this.#severe = loss >= this.#options.severeLossFrom;
    }
    // A grown round trip counts only while the engine's estimate (its delay-based detector)
    // also finds the stream too much: on a loaded machine one late receiver report read
    // 130-270 ms on loopback.
    if (
      reading.rttMs !== null &&
      reading.rttMs - this.#minRttMs >= this.#options.queueDelayMs &&
      reading.estimateBps !== null &&
      reading.estimateBps < reading.streamBps
    ) {
      short = true;
    }
    this.#recent.push({
      at,
      short,
      lossy,
      estimateBps: reading.estimateBps,
      streamBps: reading.streamBps,
    });
    if (this.#recent.length > this.#options.window) this.#recent.shift();
    return short;
  }

  /**
   * A lasting shortfall: loss or queueing in enough of the last readings, or loss in the last
   * one so heavy that waiting for a second only lengthens the stall.
   */
  get shortfall(): boolean {
    return this.#severe || this.#recent.filter((r) => r.short).length >= this.#options.needed;
  }

  /** Whether any of the last readings lost packets (a shortfall of loss, not only queueing). */
  get lossSeen(): boolean {
    return this.#recent.some((r) => r.lossy);
  }

  /** The publisher's stream rate at the last reading (0 before any). */
  get streamBps(): number {
    return this.#recent.at(-1)?.streamBps ?? 0;
  }

  /**
   * Whether the engine's own estimate (no floor in force) covered `factor` times the stream in
   * each of the last `readings` readings, with no shortfall among them: its probes found room.
   */
  covers(factor: number, readings: number): boolean {
    const last = this.#recent.slice(-readings).filter((r) => r.at >= this.#estimatesFrom);
    return (
      last.length === readings &&
      last.every(
        (r) =>
          !r.short &&
          r.estimateBps !== null &&
          r.streamBps > 0 &&
          r.estimateBps >= r.streamBps * factor,
      )
    );
  }

  /** Whether estimates read at `at` count (no floor, nothing settling then). */
  trustsEstimatesAt(at: number): boolean {
    return at >= this.#estimatesFrom;
  }

  /** Estimates read before `at` are ignored (a floor was in force until then). */
  ignoreEstimatesBefore(at: number): void {
    this.#estimatesFrom = Math.max(this.#estimatesFrom, at);
  }

  /** Forgets every reading (the viewer moved to another layer: they said nothing of it). */
  clear(): void {
    this.#recent = [];
    this.#severe = false;
  }
}
