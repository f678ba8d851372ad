/**
 * Prometheus metrics (GET /metrics) and the live per-participant rates the admin console
 * shows. Everything is derived from the RoomDirectory, the MediaStatsSource (sampled every
 * second into bitrates and loss), and the counters fed by the join path, the API and the
 * callback queue. Its own registry, so several servers in one process (tests) do not mix.
 */
import { roomKey } from '@parley/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RoomDirectory } from '../room/RoomDirectory.js';
import type { MediaStatsSource, ParticipantMediaStats } from './MediaStatsSource.js';

export interface ParticipantRates {
  bitrateIn: number;
  bitrateOut: number;
  /** Lost / (received + lost) over the last sample, 0..1. */
  lossRate: number;
  /** TRTC's network quality scale: 1 excellent … 5 very bad (0 unknown). */
  quality: number;
}

export interface RecentError {
  at: number;
  source: 'join' | 'api' | 'callback';
  code: string;
  message: string;
  context?: Record<string, unknown>;
}

interface Sample {
  at: number;
  stats: ParticipantMediaStats;
}

const RECENT_ERRORS = 200;

/** TRTC-style quality from loss: <1% excellent, <3% good, <8% fair, <15% poor, else very bad. */
export function qualityFromLoss(loss: number): number {
  if (loss < 0.01) return 1;
  if (loss < 0.03) return 2;
  if (loss < 0.08) return 3;
  if (loss < 0.15) return 4;
  return 5;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #rates = new Map<string, ParticipantRates>();
  readonly #last = new Map<string, Sample>();
  readonly #errors: RecentError[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #joinLatency: Histogram;
  readonly #errorsTotal: Counter<'source' | 'code'>;
  readonly #apiCalls: Counter<'action' | 'code'>;
  readonly #callbacks: Counter<'outcome'>;
  /** `collectedAt` of the media snapshot last sampled. */
  #sampledAt = 0;
  #totals = { bytesIn: 0, bytesOut: 0, lost: 0, nack: 0, pli: 0, bitrateIn: 0, bitrateOut: 0 };

  constructor(
    private readonly directory: RoomDirectory,
    private readonly media: MediaStatsSource,
    queueDepth: () => number,
    sampleMs = 1000,
  ) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 20 });
    const perApp = (name: string, help: string, value: (sdkAppId: number) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['sdk_app_id'],
        registers: [r],
        collect: function (this: Gauge<'sdk_app_id'>) {
          this.reset();
          const apps = new Set(directory.listRooms().map((room) => room.sdkAppId));
          for (const app of apps) this.set({ sdk_app_id: String(app) }, value(app));
        },
      });
    perApp('parley_rooms', 'Live rooms', (app) => directory.listRooms(app).length);
    perApp('parley_participants', 'Participants in live rooms', (app) =>
      directory.listRooms(app).reduce((n, room) => n + room.participants.length, 0),
    );
    perApp('parley_publishers', 'Participants publishing at least one stream', (app) =>
      directory
        .listRooms(app)
        .reduce((n, room) => n + room.participants.filter((p) => p.streams.length > 0).length, 0),
    );
    new Gauge({
      name: 'parley_video_layer_viewers',
      help:
        'Dual stream videos received, by the layer the viewer gets (big, small) and why ' +
        '(app: the one asked for; estimate: its downlink estimate; hold: kept down after a shortfall)',
      labelNames: ['layer', 'reason'],
      registers: [r],
      collect: function (this: Gauge<'layer' | 'reason'>) {
        this.reset();
        const counts = new Map<string, number>();
        for (const room of directory.listRooms()) {
          for (const p of room.participants) {
            for (const v of p.videoLayers) {
              if (v.layer === null) continue;
              const key = `${v.layer}/${v.reason}`;
              counts.set(key, (counts.get(key) ?? 0) + 1);
            }
          }
        }
        for (const layer of ['big', 'small']) {
          for (const reason of ['app', 'estimate', 'hold']) {
            this.set({ layer, reason }, counts.get(`${layer}/${reason}`) ?? 0);
          }
        }
      },
    });
    const totals = () => this.#totals;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect: function (this: Gauge) {
          this.set(read());
        },
      });
    gauge(
      'parley_subscribers',
      'Participants receiving at least one track',
      () => this.#lastStats().filter((s) => s.subscribedTracks > 0).length,
    );
    gauge(
      'parley_bitrate_in_bits_per_second',
      'Media received from publishers',
      () => totals().bitrateIn,
    );
    gauge(
      'parley_bitrate_out_bits_per_second',
      'Media sent to subscribers',
      () => totals().bitrateOut,
    );
    gauge(
      'parley_media_bytes_in_total',
      'Media bytes received (live participants)',
      () => totals().bytesIn,
    );
    gauge(
      'parley_media_bytes_out_total',
      'Media bytes sent (live participants)',
      () => totals().bytesOut,
    );
    gauge(
      'parley_packets_lost_total',
      'Packets lost on the way in (live participants)',
      () => totals().lost,
    );
    gauge(
      'parley_nack_total',
      'NACKs received from subscribers (live participants)',
      () => totals().nack,
    );
    gauge(
      'parley_pli_total',
      'PLI/FIR received from subscribers (live participants)',
      () => totals().pli,
    );
    gauge('parley_callback_queue_depth', 'Event callbacks waiting for delivery', queueDepth);
    this.#joinLatency = new Histogram({
      name: 'parley_join_latency_seconds',
      help: 'Time from a join request to its answer',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r],
    });
    this.#errorsTotal = new Counter({
      name: 'parley_errors_total',
      help: 'Errors by where they happened and their code',
      labelNames: ['source', 'code'],
      registers: [r],
    });
    this.#apiCalls = new Counter({
      name: 'parley_api_requests_total',
      help: 'Server API calls by action and result code',
      labelNames: ['action', 'code'],
      registers: [r],
    });
    this.#callbacks = new Counter({
      name: 'parley_callback_deliveries_total',
      help: 'Event callback delivery attempts by outcome',
      labelNames: ['outcome'],
      registers: [r],
    });
    this.#timer = setInterval(() => this.#sample(), sampleMs);
    this.#timer.unref();
  }

  observeJoin(seconds: number): void {
    this.#joinLatency.observe(seconds);
  }

  recordError(error: Omit<RecentError, 'at'>): void {
    this.#errorsTotal.inc({ source: error.source, code: error.code });
    this.#errors.push({ ...error, at: Date.now() });
    if (this.#errors.length > RECENT_ERRORS) this.#errors.shift();
  }

  apiCall(action: string, code: string): void {
    this.#apiCalls.inc({ action: action || '(none)', code });
  }

  callbackDelivery(outcome: string): void {
    this.#callbacks.inc({ outcome });
  }

  recentErrors(limit = 50): RecentError[] {
    return this.#errors.slice(-limit).reverse();
  }

  /** The last sampled rates of a participant (and a sign that someone watches them live). */
  rates(sdkAppId: number, room: Parameters<typeof roomKey>[1], userId: string): ParticipantRates {
    this.media.watch();
    return (
      this.#rates.get(`${roomKey(sdkAppId, room)}|${userId}`) ?? {
        bitrateIn: 0,
        bitrateOut: 0,
        lossRate: 0,
        quality: 0,
      }
    );
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    clearInterval(this.#timer);
    this.media.close();
  }

  #lastStats(): ParticipantMediaStats[] {
    return [...this.#last.values()].map((s) => s.stats);
  }

  #sample(): void {
    // Rates are differences between two media snapshots, so only a new snapshot changes them.
    const now = this.media.collectedAt;
    if (now === this.#sampledAt) return;
    this.#sampledAt = now;
    const seen = new Set<string>();
    const totals = {
      bytesIn: 0,
      bytesOut: 0,
      lost: 0,
      nack: 0,
      pli: 0,
      bitrateIn: 0,
      bitrateOut: 0,
    };
    for (const room of this.media.collect()) {
      for (const stats of room.participants) {
        const key = `${roomKey(room.sdkAppId, room.room)}|${stats.userId}`;
        seen.add(key);
        const previous = this.#last.get(key);
        this.#last.set(key, { at: now, stats });
        totals.bytesIn += stats.bytesIn;
        totals.bytesOut += stats.bytesOut;
        totals.lost += stats.packetsLost;
        totals.nack += stats.nackCount;
        totals.pli += stats.pliCount;
        if (!previous) continue;
        const seconds = Math.max(0.001, (now - previous.at) / 1000);
        const p = previous.stats;
        const received = Math.max(0, stats.packetsIn - p.packetsIn);
        const lost = Math.max(0, stats.packetsLost - p.packetsLost);
        const lossRate = received + lost > 0 ? lost / (received + lost) : 0;
        const rates: ParticipantRates = {
          bitrateIn: (Math.max(0, stats.bytesIn - p.bytesIn) * 8) / seconds,
          bitrateOut: (Math.max(0, stats.bytesOut - p.bytesOut) * 8) / seconds,
          lossRate,
          quality:
            received + lost > 0 || stats.subscribedTracks > 0 ? qualityFromLoss(lossRate) : 0,
        };
        this.#rates.set(key, rates);
        totals.bitrateIn += rates.bitrateIn;
        totals.bitrateOut += rates.bitrateOut;
      }
    }
    for (const key of this.#last.keys()) {
      if (!seen.has(key)) {
        this.#last.delete(key);
        this.#rates.delete(key);
      }
    }
    this.#totals = totals;
  }
}
