/**
 * A client process: hosts many participants (receive-only subscribers and/or publishers fed by
 * one local MediaPump), driven by the bench over IPC. Spreads the clients over processes so
 * they use both cores, and so their CPU can be told apart from the server's.
 */
import { closeJanusSessions, joinParticipant, type Participant, type Target } from './clients.js';
import { MediaPump, emptyWire, type CounterSnapshot, type WireCount } from './peer.js';

export type WorkerRequest = WorkerRequestBody & { id: number };
export type WorkerReply = WorkerReplyBody & { id: number };

export type WorkerRequestBody =
  | {
      type: 'join';
      target: Target;
      users: string[];
      publish: boolean;
      subscribe: boolean;
      feeds?: number[];
      /** Per-user feeds (Janus), instead of `feeds`. */
      feedsByUser?: Record<string, number[]>;
      /** Join this many at a time. */
      parallel: number;
    }
  | { type: 'mark'; sampling: boolean }
  | { type: 'report' }
  | { type: 'close' };

export interface ReceiverReport {
  user: string;
  /** Since the last mark. */
  received: number;
  expected: number;
  audio: number;
  video: number;
  wire: WireCount;
  /** [payload key, arrival µs] pairs of this receiver's sampled packets (also in `samples`). */
  samples: number[];
}

export type WorkerReplyBody =
  | { type: 'joined'; ok: number; failed: string[]; feeds: Record<string, number> }
  | { type: 'marked' }
  | { type: 'report'; receivers: ReceiverReport[]; samples: number[] }
  | { type: 'closed' };

const participants = new Map<string, Participant>();
const marks = new Map<string, CounterSnapshot>();
let pump: MediaPump | undefined;

async function handle(req: WorkerRequest): Promise<void> {
  const reply = (message: WorkerReplyBody) => process.send!({ ...message, id: req.id });
  switch (req.type) {
    case 'join': {
      const failed: string[] = [];
      const feeds: Record<string, number> = {};
      const queue = [...req.users];
      const runOne = async (): Promise<void> => {
        for (let user = queue.shift(); user; user = queue.shift()) {
          try {
            const p = await joinParticipant(
              req.target,
              user,
              req.publish,
              req.subscribe,
              req.feedsByUser?.[user] ?? req.feeds,
            );
            participants.set(user, p);
            if (p.feedId !== undefined) feeds[user] = p.feedId;
            if (p.publisher) {
              if (!pump) {
                pump = new MediaPump(false);
                pump.start(15 * 60_000);
              }
              pump.add(p.publisher);
            }
          } catch (error) {
            failed.push(`${user}: ${(error as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: req.parallel }, runOne));
      reply({ type: 'joined', ok: req.users.length - failed.length, failed, feeds });
      return;
    }
    case 'mark':
      for (const [user, p] of participants) {
        if (!p.counter) continue;
        marks.set(user, p.counter.snapshot());
        p.counter.samples = [];
        p.counter.sampling = req.sampling;
      }
      reply({ type: 'marked' });
      return;
    case 'report': {
      const receivers: ReceiverReport[] = [];
      const samples: number[] = [];
      for (const [user, p] of participants) {
        if (!p.counter) continue;
        const now = p.counter.snapshot();
        const then = marks.get(user) ?? {
          received: 0,
          expected: 0,
          byKind: { audio: 0, video: 0 },
          wire: emptyWire(),
        };
        const wire = emptyWire();
        for (const key of Object.keys(wire) as (keyof WireCount)[]) {
          wire[key] = now.wire[key] - then.wire[key];
        }
        receivers.push({
          user,
          received: now.received - then.received,
          expected: now.expected - then.expected,
          audio: now.byKind.audio - then.byKind.audio,
          video: now.byKind.video - then.byKind.video,
          wire,
          samples: p.counter.samples,
        });
        for (const s of p.counter.samples) samples.push(s);
        p.counter.samples = [];
        p.counter.sampling = false;
      }
      reply({ type: 'report', receivers, samples });
      return;
    }
    case 'close':
      pump?.stop();
      await Promise.all([...participants.values()].map((p) => p.close().catch(() => undefined)));
      participants.clear();
      await closeJanusSessions();
      reply({ type: 'closed' });
      setTimeout(() => process.exit(0), 200);
      return;
  }
}

process.on('message', (req: WorkerRequest) => {
  void handle(req).catch((error: Error) => {
    process.stderr.write(`worker: ${error.stack ?? error.message}\n`);
  });
});
process.on('disconnect', () => process.exit(0));
// Hard bound: a worker never outlives a bench run.
setTimeout(() => process.exit(2), 15 * 60_000).unref();
