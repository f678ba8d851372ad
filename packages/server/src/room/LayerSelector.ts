/**
 * Chooses the simulcast layer ceiling of one viewer's video consumer. The engine sends the
 * best layer up to that ceiling that its estimate of the viewer's downlink covers; this
 * steers it:
 *
 * - **Start probe**: a new consumer that may get the big layer has the downlink estimate
 *   floored at the publisher's whole stream (plus headroom) until the engine sends it (at most
 *   `startProbeMs`), refreshed as the publisher's encoder ramps up, as libwebrtc probes a new
 *   call up: the big layer goes out at once, and the estimator judges from there. Ended at
 *   once by a shortfall.
 * - **Moves down on a sustained shortfall**: loss or queueing seen by PathJudge (in most of
 *   the last readings, or heavy loss in one) moves the viewer one layer down now, if the
 *   engine has not already, and holds it there. A move down the engine makes is judged on the
 *   next readings: loss or queueing, a hold; none (its estimate dipped once), no hold, the
 *   probes below bring it back. 400 ms after any move down the new layer's keyframe
 *   is asked again (the first went out behind the bigger layer's queue).
 * - **Dips end when the path shows room**: after a dip (no hold), a burst of padding is
 *   asked each reading; the estimate covering the stream 1.5 times ends it with a climb (one
 *   so made that fails leaves later dips and holds to the engine and the timer). A hold made on
 *   queueing alone ends as soon as the engine's own estimate (no probe of ours) covers the
 *   stream 1.5 times for `holdCoverReadings` readings. A hold made on loss ends on its timer
 *   with a floor (`baseHoldMs`, doubled up to `maxHoldMs` when a climb fails within
 *   `probationMs`: no flapping under a cap that stays).
 *
 * `state` says which layer the viewer gets and why (the app's choice, the estimate, a hold).
 */
import type { MediaConsumer } from '../media/MediaEngine.js';
import {
  DEFAULT_PATH_JUDGE,
  PathJudge,
  type PathJudgeOptions,
  type PathReading,
} from './PathJudge.js';

/** Why the viewer gets the layer it gets. */
export type LayerReason = 'app' | 'estimate' | 'hold';

export interface LayerState {
  /** The spatial layer the engine sends now (null: none yet, or paused). */
  spatial: number | null;
  /** The top layer is the big stream; any other the small one. */
  layer: 'big' | 'small' | null;
  /** The highest layer the viewer asked for (the app's big or small). */
  ceiling: number;
  reason: LayerReason;
}

/** What the selector needs from the viewer's transport and the publisher's stream. */
export interface PathPort {
  /** Floors the downlink estimate at `bps` for `ms` (bps 0: lifts any floor now). */
  floor(bps: number, ms: number): Promise<void>;
  /** One probe of the downlink above its estimate (padding, no higher layer). */
  probe(): Promise<void>;
  read(): Promise<PathReading>;
}

export interface LayerSelectorOptions {
  baseHoldMs: number;
  maxHoldMs: number;
  /** A move down this soon after a climb means the climb failed. */
  probationMs: number;
  readEveryMs: number;
  /** How long the start probe lasts at most. */
  startProbeMs: number;
  /** How long a floor helping a climb lasts. */
  probeMs: number;
  /** Floor = the publisher's whole stream × this. */
  probeHeadroom: number;
  /**
   * After a move down, a keyframe of the new layer is asked again this long after: the first
   * one went out behind the bigger layer's full queue and may arrive incomplete, and the
   * viewer then waits for its retransmissions (seconds on a capped link).
   */
  refreshKeyframeMs: number;
  /**
   * The engine's move down with no shortfall seen yet is judged on this many readings (loss
   * and round trips come in receiver reports, a second or so late): clean, no hold; not, a hold.
   */
  dipReadings: number;
  /** The estimate covering the stream × this, `coverReadings` times in a row, ends a dip. */
  coverFactor: number;
  coverReadings: number;
  /**
   * A hold made on queueing alone (no loss) ends when the engine's own estimate covers the
   * stream × `coverFactor` this many readings in a row (a second or more, sustained).
   */
  holdCoverReadings: number;
  /**
   * Estimates within this of a floor's end or a move down are not trusted: the estimator
   * starts from where the floor (or the higher layer) left it and needs a moment to fall.
   */
  settleMs: number;
  judge: PathJudgeOptions;
  onError?: (error: unknown) => void;
  /** The layer or its reason changed. */
  onChange?: (state: LayerState) => void;
  /** Each reading with the judgement made of it (debug logs). */
  onReading?: (reading: PathReading, short: boolean, shortfall: boolean) => void;
}

export const DEFAULT_LAYER_SELECTOR: LayerSelectorOptions = {
  // A climb on the timer under a cap that stays is a ~2 s stall (the big keyframe does not
  // fit); with 15 s it came inside every 10 s window under the cap in the e2e test. The price
  // is the time to the big picture after a cap is lifted: the rest of the hold.
  baseHoldMs: 20_000,
  maxHoldMs: 120_000,
  probationMs: 20_000,
  readEveryMs: 1000,
  startProbeMs: 8000,
  probeMs: 2500,
  probeHeadroom: 1.3,
  refreshKeyframeMs: 400,
  dipReadings: 2,
  // One reading: a probe's verdict lands in the estimate at once. 1.5: the engine probes at
  // twice what it wants to send, and a dip's probe on a free path reads about that; under a
  // 1 Mbit/s cap probes through the shaper's burst allowance read 1.3-2 times the stream,
  // which is why a hold made on loss never ends on one.
  coverFactor: 1.5,
  coverReadings: 1,
  holdCoverReadings: 2,
  settleMs: 3000,
  judge: DEFAULT_PATH_JUDGE,
};

export class LayerSelector {
  readonly #options: LayerSelectorOptions;
  readonly #judge: PathJudge;
  #ceiling: number;
  #sent: number | null = null;
  #held: number | null = null;
  #holdMs: number;
  #climbedAt = -Infinity;
  /** A climb made on a probe failed: later dips are left to the engine (no more probes). */
  #probesMisled = false;
  #climbedOnProbe = false;
  /** The hold in force was made on loss (a cap's full queue), not on queueing alone. */
  #holdOnLoss = false;
  /** A move down of the engine waiting for its verdict: readings left, a short one seen. */
  #dip: { left: number; short: boolean } | null = null;
  /** Readings in a row at the ceiling during the start probe. */
  #atCeiling = 0;
  /** The start probe runs until then (0: over). */
  #startProbeUntil = 0;
  /** A floor is in force until then. */
  #floorUntil = 0;
  #holdTimer: NodeJS.Timeout | null = null;
  #keyframeTimer: NodeJS.Timeout | null = null;
  readonly #readTimer: NodeJS.Timeout;
  #reading = false;
  #closed = false;
  #told = '';

  constructor(
    private readonly consumer: MediaConsumer,
    /** The highest spatial layer the viewer asked for. */
    ceiling: number,
    /** The publisher's top spatial layer (the big stream). */
    private readonly top: number,
    private readonly path: PathPort,
    options: Partial<LayerSelectorOptions> = {},
  ) {
    this.#options = { ...DEFAULT_LAYER_SELECTOR, ...options };
    this.#judge = new PathJudge(this.#options.judge);
    this.#ceiling = ceiling;
    this.#holdMs = this.#options.baseHoldMs;
    consumer.on('layerschange', (layers) => this.#onLayers(layers?.spatial ?? null));
    consumer.on('close', () => this.close());
    this.#readTimer = setInterval(() => void this.#read(), this.#options.readEveryMs);
    // A consumer closed before its selector was made (the publisher left meanwhile): nothing
    // to watch, and its close event has gone already.
    if (consumer.closed) this.close();
    this.#readTimer.unref?.();
    if (ceiling > 0) this.#startProbeUntil = Date.now() + this.#options.startProbeMs;
    void this.#read();
  }

  get state(): LayerState {
    const spatial = this.#sent;
    const reason: LayerReason =
      this.#held !== null
        ? 'hold'
        : spatial !== null && spatial < this.#ceiling
          ? 'estimate'
          : 'app';
    const layer = spatial === null ? null : spatial >= this.top ? 'big' : 'small';
    return { spatial, layer, ceiling: this.#ceiling, reason };
  }

  /** The spatial layer the consumer is held at, or null when free to climb to its ceiling. */
  get held(): number | null {
    return this.#held;
  }

  /** The viewer chose big or small: that is the ceiling now, any hold ends, a climb probes. */
  setCeiling(spatial: number): Promise<void> {
    const up = spatial > (this.#sent ?? spatial);
    this.#ceiling = spatial;
    this.#release();
    this.#holdMs = this.#options.baseHoldMs;
    if (up) this.#probe();
    this.#changed();
    return this.consumer.setPreferredLayers({ spatial });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
    if (this.#keyframeTimer) clearTimeout(this.#keyframeTimer);
    clearInterval(this.#readTimer);
  }

  async #read(): Promise<void> {
    // A paused consumer (its viewer not listening yet, or the track withheld) sends nothing to judge.
    if (this.#closed || this.#reading || this.consumer.paused) return;
    this.#reading = true;
    let reading: PathReading;
    try {
      reading = await this.path.read();
    } catch (error) {
      if (!this.#closed) this.#options.onError?.(error);
      return;
    } finally {
      this.#reading = false;
    }
    if (this.#closed) return;
    this.#onReading(reading);
  }

  #onReading(reading: PathReading): void {
    const now = Date.now();
    const short = this.#judge.add(reading, now);
    this.#options.onReading?.(reading, short, this.#judge.shortfall);
    if (this.#judge.shortfall) {
      this.#endStartProbe();
      this.#dip = null;
      const sent = this.#sent;
      if (this.#held === null && sent !== null) {
        // Down now, before the engine's estimate follows (the layer below fits sooner), or
        // kept where the engine already went.
        if (sent >= this.#ceiling && sent > 0) this.#hold(sent - 1);
        else if (sent < this.#ceiling) this.#hold(sent);
      }
      return;
    }
    if (this.#dip) {
      this.#dip.short ||= short;
      if (--this.#dip.left > 0) return;
      const { short: seen } = this.#dip;
      this.#dip = null;
      // Loss or queueing: a hold. Otherwise the estimate dipped with nothing to show for it
      // (a loaded machine dipped it every few seconds): no hold; the probes below bring it back.
      if (seen && this.#sent !== null && this.#sent < this.#ceiling && this.#held === null) {
        this.#hold(this.#sent);
        return;
      }
    }
    if (now < this.#startProbeUntil) {
      // Over once the engine sends the layer asked for: the estimator takes it from there
      // (a floor left on would hide a cap that comes next).
      this.#atCeiling =
        this.#sent !== null && this.#sent >= this.#ceiling ? this.#atCeiling + 1 : 0;
      if (this.#atCeiling >= 2) {
        this.#endStartProbe();
        return;
      }
      const stream = reading.streamBps;
      if (stream > 0)
        this.#setFloor(stream * this.#options.probeHeadroom, this.#options.readEveryMs * 2.5);
      return;
    }
    if (this.#held !== null) {
      // Receiver reports come a second or so late: loss seen after the hold was made counts.
      if (this.#judge.lossSeen) this.#holdOnLoss = true;
      // A hold made on queueing alone (a loaded machine's late reports and estimate dips read
      // as such on loopback and held a clean viewer 20 s) ends once the engine's own estimate
      // covers the stream for a while: no probe of ours here. After loss (a cap's full queue)
      // the engine's estimate stays where it fell, cap or no cap (0.45-0.82 Mbit/s, flat for
      // 20-28 s in the cap test), and probes forced through a shaper's burst allowance read
      // up to twice the stream: such a hold runs its timer. An early end that fails leaves
      // later holds to their timers (probesMisled).
      if (
        !this.#holdOnLoss &&
        !this.#probesMisled &&
        this.#judge.trustsEstimatesAt(now) &&
        this.#judge.covers(this.#options.coverFactor, this.#options.holdCoverReadings)
      ) {
        this.#climb(true);
      }
      return;
    }
    // A dip (no hold): padding probes until the estimate covers the stream.
    const dipped = this.#sent !== null && this.#sent < this.#ceiling;
    if (!dipped || this.#dip || this.#probesMisled || !this.#judge.trustsEstimatesAt(now)) return;
    if (this.#judge.covers(this.#options.coverFactor, this.#options.coverReadings)) {
      this.#climb(true);
      return;
    }
    // A burst of padding each reading tells whether the path carries more now (the dip is
    // over), at no cost to the picture.
    this.path.probe().catch((error: unknown) => this.#options.onError?.(error));
  }

  #onLayers(spatial: number | null): void {
    const before = this.#sent;
    this.#sent = spatial;
    this.#changed();
    if (spatial !== null && spatial >= this.#ceiling) this.#dip = null;
    if (this.#closed || spatial === null || before === null || spatial >= before) return;
    this.#refreshKeyframe();
    if (spatial >= this.#ceiling || (this.#held !== null && spatial >= this.#held)) return;
    const now = Date.now();
    if (
      this.#held === null &&
      !this.#judge.shortfall &&
      now - this.#climbedAt >= this.#options.probationMs
    ) {
      // Judged on the next readings (see dipReadings).
      this.#dip ??= { left: this.#options.dipReadings, short: false };
      return;
    }
    this.#hold(spatial);
  }

  #endStartProbe(): void {
    if (this.#startProbeUntil === 0) return;
    this.#startProbeUntil = 0;
    if (Date.now() < this.#floorUntil) this.#setFloor(0, 0);
  }

  #hold(spatial: number): void {
    const failedClimb = Date.now() - this.#climbedAt < this.#options.probationMs;
    if (this.#held === null) {
      this.#holdOnLoss = this.#judge.lossSeen;
      // A climb a probe made failed: the probes misread this path; the timer decides, twice.
      if (failedClimb && this.#climbedOnProbe) this.#probesMisled = true;
      else if (!failedClimb) this.#probesMisled = false;
      this.#holdMs = failedClimb
        ? Math.min(this.#holdMs * 2, this.#options.maxHoldMs)
        : this.#options.baseHoldMs;
    }
    this.#held = spatial;
    this.#dip = null;
    this.#startProbeUntil = 0;
    if (Date.now() < this.#floorUntil) this.#setFloor(0, 0);
    this.#judge.clear();
    this.#judge.ignoreEstimatesBefore(Date.now() + this.#options.settleMs);
    this.#prefer(spatial);
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    this.#holdTimer = setTimeout(() => this.#climb(), this.#holdMs);
    this.#changed();
  }

  #climb(onProbe = false): void {
    this.#release();
    this.#climbedAt = Date.now();
    this.#climbedOnProbe = onProbe;
    this.#prefer(this.#ceiling);
    this.#probe();
    this.#changed();
  }

  /** Floors the estimate at the stream's rate for a while: the higher layer goes out. */
  #probe(): void {
    const stream = this.#judge.streamBps;
    if (stream > 0) this.#setFloor(stream * this.#options.probeHeadroom, this.#options.probeMs);
  }

  #setFloor(bps: number, ms: number): void {
    if (this.#closed) return;
    this.#floorUntil = bps > 0 ? Date.now() + ms : 0;
    // Readings under a floor say nothing of what the estimator itself finds.
    this.#judge.ignoreEstimatesBefore(
      Math.max(Date.now(), this.#floorUntil) + this.#options.settleMs,
    );
    this.path.floor(Math.round(bps), ms).catch((error: unknown) => this.#options.onError?.(error));
  }

  #release(): void {
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    this.#holdTimer = null;
    this.#held = null;
  }

  #refreshKeyframe(): void {
    if (this.#keyframeTimer) clearTimeout(this.#keyframeTimer);
    this.#keyframeTimer = setTimeout(() => {
      this.#keyframeTimer = null;
      if (this.#closed || this.consumer.closed) return;
      this.consumer.requestKeyframe().catch((error: unknown) => this.#options.onError?.(error));
    }, this.#options.refreshKeyframeMs);
  }

  #changed(): void {
    if (this.#closed) return;
    const state = this.state;
    const told = `${state.spatial}/${state.ceiling}/${state.reason}`;
    if (told === this.#told) return;
    this.#told = told;
    this.#options.onChange?.(state);
  }

  #prefer(spatial: number): void {
    if (this.#closed || this.consumer.closed) return;
    this.consumer
      .setPreferredLayers({ spatial })
      .catch((error: unknown) => this.#options.onError?.(error));
  }
}
