/**
 * Keeps a simulcast video consumer down for a while after the engine moved it down for lack
 * of bandwidth. mediasoup climbs back as soon as its estimate covers the higher layer's
 * current bitrate, with no headroom: on a downlink that can only just carry the big stream
 * the viewer flips between layers and freezes at each climb. After a drop below what the
 * viewer asked for, the consumer's ceiling is the layer it fell to for `holdMs`; a climb that
 * fails again within `probationMs` doubles the next hold (up to `maxHoldMs`).
 */
import type { MediaConsumer } from '../media/MediaEngine.js';

export interface LayerHoldOptions {
  baseHoldMs: number;
  maxHoldMs: number;
  /** A drop this soon after a climb means the climb failed. */
  probationMs: number;
  /**
   * Called at each climb: lets the engine try the higher layer now. Its estimate fell with
   * the drop and, while the lower layer is all it sends, would take tens of seconds to find
   * that the link carries more again.
   */
  tryClimb?: () => Promise<void>;
  onError?: (error: unknown) => void;
}

/** 15 s: with 8 s, a cap that stayed cost a failed climb (a ~0.6 s stall) every 8–16 s. */
export const DEFAULT_LAYER_HOLD: LayerHoldOptions = {
  baseHoldMs: 15_000,
  maxHoldMs: 60_000,
  probationMs: 20_000,
};

export class LayerHold {
  #ceiling: number;
  #sent: number | null = null;
  #held: number | null = null;
  #holdMs: number;
  #climbedAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    private readonly consumer: MediaConsumer,
    /** The highest spatial layer the viewer asked for. */
    ceiling: number,
    private readonly options: LayerHoldOptions = DEFAULT_LAYER_HOLD,
  ) {
    this.#ceiling = ceiling;
    this.#holdMs = options.baseHoldMs;
    consumer.on('layerschange', (layers) => this.#onLayers(layers?.spatial ?? null));
    consumer.on('close', () => this.#stop());
  }

  /** The spatial layer the consumer is held at, or null when free to climb to its ceiling. */
  get held(): number | null {
    return this.#held;
  }

  /** The viewer chose big or small: that is the ceiling now, and any hold ends. */
  setCeiling(spatial: number): Promise<void> {
    this.#ceiling = spatial;
    this.#release();
    this.#holdMs = this.options.baseHoldMs;
    return this.consumer.setPreferredLayers({ spatial });
  }

  #onLayers(spatial: number | null): void {
    const before = this.#sent;
    this.#sent = spatial;
    if (this.#closed || spatial === null || before === null || spatial >= before) return;
    if (spatial >= this.#ceiling || (this.#held !== null && spatial >= this.#held)) return;
    const failedClimb = Date.now() - this.#climbedAt < this.options.probationMs;
    if (this.#held === null) {
      this.#holdMs = failedClimb
        ? Math.min(this.#holdMs * 2, this.options.maxHoldMs)
        : this.options.baseHoldMs;
    }
    this.#held = spatial;
    this.#apply({ spatial });
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#climb(), this.#holdMs);
  }

  #climb(): void {
    this.#release();
    this.#climbedAt = Date.now();
    this.#apply({ spatial: this.#ceiling });
    this.options.tryClimb?.().catch((error: unknown) => this.options.onError?.(error));
  }

  #release(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#held = null;
  }

  #apply(layers: { spatial: number }): void {
    if (this.#closed || this.consumer.closed) return;
    this.consumer
      .setPreferredLayers(layers)
      .catch((error: unknown) => this.options.onError?.(error));
  }

  #stop(): void {
    this.#closed = true;
    this.#release();
  }
}
