/**
 * MediaStatsSource over the media engine: each participant's producers (what it sends) and
 * consumers (what it receives), read from the engine's RTP stream stats. Engine stats are
 * asynchronous and `collect()` is not, so a poller refreshes a snapshot and `collect()`
 * returns the latest one. Counters stay cumulative for the whole session: the last reading
 * of a producer or consumer that closed is kept in its participant's base.
 *
 * Cadence: one worker round trip per producer and consumer is not free (at 100 subscribers,
 * polling every second cost the Node process ~300 kB of heap growth per subscriber and ~15 %
 * of the CPU per forwarded packet), so snapshots come every `intervalMs` (10 s) and every
 * `liveIntervalMs` (1 s) only while someone watches live rates (`watch()`: the admin console).
 */
import type { MediaConsumer, MediaProducer } from '../media/MediaEngine.js';
import type { RtpStreamStats } from '../media/types.js';
import type { Participant } from '../room/Participant.js';
import type {
  MediaStatsSource,
  ParticipantMediaStats,
  RoomMediaStats,
} from './MediaStatsSource.js';

export interface EngineMediaStatsOptions {
  /** Time between snapshots when nobody watches. */
  intervalMs?: number;
  /** Time between snapshots while someone watches. */
  liveIntervalMs?: number;
  /** How long one `watch()` keeps the live cadence. */
  liveForMs?: number;
}

/** The part of RoomManager this needs: the live rooms and their participants. */
export interface StatsRooms {
  rooms(): Iterable<{
    sdkAppId: number;
    ref: RoomMediaStats['room'];
    participants: ReadonlyMap<string, Participant>;
  }>;
}

type Totals = Omit<ParticipantMediaStats, 'userId' | 'subscribedTracks'>;

const zero = (): Totals => ({
  bytesIn: 0,
  packetsIn: 0,
  packetsLost: 0,
  bytesOut: 0,
  nackCount: 0,
  pliCount: 0,
});

interface Tracked {
  /** What closed objects had counted, kept so totals never go down. */
  base: Totals;
  /** The last reading of each live object, by id. */
  last: Map<string, Totals>;
}

const fromProducer = (s: RtpStreamStats): Totals => ({
  ...zero(),
  bytesIn: s.bytes,
  packetsIn: s.packets,
  packetsLost: s.packetsLost,
});

// A consumer's NACK/PLI counts are the requests its subscriber sent.
const fromConsumer = (s: RtpStreamStats): Totals => ({
  ...zero(),
  bytesOut: s.bytes,
  nackCount: s.nackCount,
  pliCount: s.pliCount + s.firCount,
});

function add(a: Totals, b: Totals): Totals {
  return {
    bytesIn: a.bytesIn + b.bytesIn,
    packetsIn: a.packetsIn + b.packetsIn,
    packetsLost: a.packetsLost + b.packetsLost,
    bytesOut: a.bytesOut + b.bytesOut,
    nackCount: a.nackCount + b.nackCount,
    pliCount: a.pliCount + b.pliCount,
  };
}

export class EngineMediaStats implements MediaStatsSource {
  readonly #tracked = new WeakMap<Participant, Tracked>();
  #snapshot: RoomMediaStats[] = [];
  #collectedAt = 0;
  readonly #timer: NodeJS.Timeout;
  #polling = false;
  #nextPollAt = 0;
  #liveUntil = 0;
  readonly #intervalMs: number;
  readonly #liveIntervalMs: number;
  readonly #liveForMs: number;

  constructor(
    private readonly rooms: StatsRooms,
    options: EngineMediaStatsOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#liveIntervalMs = Math.min(options.liveIntervalMs ?? 1000, this.#intervalMs);
    this.#liveForMs = options.liveForMs ?? 30_000;
    this.#timer = setInterval(() => this.#tick(), this.#liveIntervalMs);
    this.#timer.unref();
  }

  collect(): RoomMediaStats[] {
    return this.#snapshot;
  }

  get collectedAt(): number {
    return this.#collectedAt;
  }

  watch(): void {
    const now = Date.now();
    const wasLive = now < this.#liveUntil;
    this.#liveUntil = now + this.#liveForMs;
    if (!wasLive) this.#nextPollAt = Math.min(this.#nextPollAt, now);
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = Date.now();
    if (this.#polling || now < this.#nextPollAt) return;
    const live = now < this.#liveUntil;
    this.#nextPollAt = now + (live ? this.#liveIntervalMs : this.#intervalMs) - 50;
    void this.#poll();
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      const snapshot: RoomMediaStats[] = [];
      for (const room of [...this.rooms.rooms()]) {
        const participants: ParticipantMediaStats[] = [];
        for (const participant of [...room.participants.values()]) {
          participants.push(await this.#read(participant));
        }
        snapshot.push({ sdkAppId: room.sdkAppId, room: room.ref, participants });
      }
      this.#snapshot = snapshot;
      this.#collectedAt = Date.now();
    } finally {
      this.#polling = false;
    }
  }

  async #read(participant: Participant): Promise<ParticipantMediaStats> {
    let tracked = this.#tracked.get(participant);
    if (!tracked) {
      tracked = { base: zero(), last: new Map() };
      this.#tracked.set(participant, tracked);
    }
    const producers: MediaProducer[] = [];
    for (const stream of participant.streams.values()) {
      for (const track of stream.tracks.values())
        if (track.producer) producers.push(track.producer);
    }
    const consumers: MediaConsumer[] = [];
    for (const sub of participant.subscriptions.values()) consumers.push(...sub.consumers.values());
    const now = new Map<string, Totals>();
    const reads = [
      ...producers.map(async (p) => {
        if (!p.closed) now.set(p.id, fromProducer(await p.stats()));
      }),
      ...consumers.map(async (c) => {
        if (!c.closed) now.set(c.id, fromConsumer(await c.stats()));
      }),
    ];
    await Promise.all(reads.map((r) => r.catch(() => undefined)));
    // Objects gone since the last poll: their last reading moves into the base.
    for (const [id, last] of tracked.last) {
      if (!now.has(id)) tracked.base = add(tracked.base, last);
    }
    tracked.last = now;
    let totals = tracked.base;
    for (const reading of now.values()) totals = add(totals, reading);
    return {
      userId: participant.userId,
      ...totals,
      subscribedTracks: consumers.filter((c) => !c.closed).length,
    };
  }
}
