/**
 * Media between nodes: for each room and each pair of nodes one pipe (MediaPipe: RTP over UDP,
 * SRTP), over which each track goes once, however many viewers the receiving node has. The
 * receiving node opens it when its room first needs a track of the other node's members, and
 * closes it with its room; the sending node follows (`relay.*` requests).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { MediaPipe, MediaProducer, MediaRouter, PipeTuple } from '../media/MediaEngine.js';
import type { RelayNeed } from '../room/RemoteMembers.js';
import type { Room } from '../room/Room.js';
import type { Rpc } from './Rpc.js';

/** How long a relay request to another node may take. */
export const RELAY_TIMEOUT_MS = 3000;

const TupleSchema = z.object({
  ip: z.string().max(64),
  port: z.number().int().min(1).max(65535),
  srtp: z.object({ cryptoSuite: z.string().max(64), keyBase64: z.string().max(256) }),
});
const OpenSchema = z.object({ roomKey: z.string().max(200), tuple: TupleSchema });
const SendSchema = z.object({ roomKey: z.string().max(200), producerId: z.string().max(64) });
const CloseSchema = z.object({ roomKey: z.string().max(200) });
const PipedSchema = z.object({
  producerId: z.string(),
  kind: z.enum(['audio', 'video']),
  // The sender's engine made these; the receiving engine checks them again.
  rtpParameters: z.custom<import('../media/types.js').RtpParameters>(
    (v) => typeof v === 'object' && v !== null && Array.isArray((v as { codecs?: unknown }).codecs),
  ),
  paused: z.boolean(),
});

export interface RelayInfo {
  roomKey: string;
  peer: string;
  /** `in`: this node receives over it; `out`: this node sends. */
  direction: 'in' | 'out';
  pipe: MediaPipe;
}

const pairKey = (roomKey: string, peer: string) => `${roomKey}\n${peer}`;

export class Relays {
  /** Pipes this node receives over, by room and sending node. */
  readonly #inbound = new Map<string, Promise<MediaPipe>>();
  /** Pipes this node sends over, by room and receiving node. */
  readonly #outbound = new Map<string, MediaPipe>();
  readonly #info = new Map<MediaPipe, RelayInfo>();

  constructor(
    private readonly rpc: Rpc,
    private readonly log: Logger,
    /** This node's room of that key, if it has one. */
    private readonly roomByKey: (roomKey: string) => Room | undefined,
  ) {
    rpc.handle('relay.open', (params, from) => this.#open(OpenSchema.parse(params), from));
    rpc.handle('relay.send', (params, from) => this.#send(SendSchema.parse(params), from));
    rpc.handle('relay.close', async (params, from) => {
      const { roomKey } = CloseSchema.parse(params);
      this.#outbound.get(pairKey(roomKey, from))?.close();
      return {};
    });
    rpc.handle('relay.unsend', async (params, from) => {
      const { roomKey, producerId } = SendSchema.parse(params);
      this.#outbound.get(pairKey(roomKey, from))?.unsend(producerId);
      return {};
    });
    // The sending end's room closed there (its last member left): nothing comes any more.
    rpc.handle('relay.gone', async (params, from) => {
      const { roomKey } = CloseSchema.parse(params);
      this.#closeInbound(pairKey(roomKey, from));
      return {};
    });
  }

  /** Every pipe open now (metrics). */
  list(): RelayInfo[] {
    return [...this.#info.values()];
  }

  /** Brings a mirror's track here from its node and gives it to the room. */
  async relay(room: Room, need: RelayNeed): Promise<void> {
    const router = await room.ensureMedia();
    const pipe = await this.#inboundPipe(room.key, need.node, router);
    const piped = PipedSchema.parse(
      await this.rpc.call(
        need.node,
        'relay.send',
        { roomKey: room.key, producerId: need.producerId },
        RELAY_TIMEOUT_MS,
      ),
    );
    let producer: MediaProducer;
    try {
      producer = await pipe.receive(piped);
    } catch (error) {
      // Already here (a repeated state): the first relay of it serves.
      this.log.warn({ err: error, producer: need.producerId }, 'relay not made');
      return;
    }
    const attached = await room.attachRelay(need.userId, need.streamType, need.kind, producer);
    if (!attached) {
      producer.close();
      this.unrelay(room.key, need);
      return;
    }
    this.log.debug(
      { room: room.key, user: need.userId, kind: need.kind, from: need.node },
      'relay made',
    );
    // The viewers' keyframe requests made before the first packet crossed were dropped (the
    // engine knows no stream to ask yet): ask again once media flows, not a second later.
    producer.afterNextFrame(() => {
      this.log.debug({ user: need.userId, kind: need.kind }, 'relay: first frame');
      room.requestKeyframes(need.userId, need.streamType, need.kind);
    }, 1000);
  }

  /** A relayed track nobody here watches any more: its node stops sending it over the pipe. */
  unrelay(roomKey: string, need: RelayNeed): void {
    this.rpc
      .call(need.node, 'relay.unsend', { roomKey, producerId: need.producerId }, RELAY_TIMEOUT_MS)
      .catch((error: unknown) =>
        this.log.debug({ err: error, producer: need.producerId }, 'relay not stopped there'),
      );
  }

  /** The room closed here: its pipes in both directions go, and their other ends. */
  roomClosed(roomKey: string): void {
    for (const [key, pipe] of this.#inbound) {
      if (!key.startsWith(`${roomKey}\n`)) continue;
      this.#inbound.delete(key);
      const peer = key.slice(roomKey.length + 1);
      void pipe.then((p) => p.close()).catch(() => undefined);
      this.rpc.call(peer, 'relay.close', { roomKey }, RELAY_TIMEOUT_MS).catch(() => undefined);
    }
    for (const [key, pipe] of this.#outbound) {
      if (!key.startsWith(`${roomKey}\n`)) continue;
      pipe.close();
      const peer = key.slice(roomKey.length + 1);
      this.rpc.call(peer, 'relay.gone', { roomKey }, RELAY_TIMEOUT_MS).catch(() => undefined);
    }
  }

  #closeInbound(key: string): void {
    const pipe = this.#inbound.get(key);
    if (!pipe) return;
    this.#inbound.delete(key);
    void pipe.then((p) => p.close()).catch(() => undefined);
  }

  /** A node died: pipes to and from it go (a new incarnation gets new ones). */
  nodeLost(node: string): void {
    for (const [key, pipe] of this.#inbound) {
      if (!key.endsWith(`\n${node}`)) continue;
      this.#inbound.delete(key);
      void pipe.then((p) => p.close()).catch(() => undefined);
    }
    for (const [key, pipe] of this.#outbound) if (key.endsWith(`\n${node}`)) pipe.close();
  }

  #inboundPipe(roomKey: string, node: string, router: MediaRouter): Promise<MediaPipe> {
    const key = pairKey(roomKey, node);
    let pipe = this.#inbound.get(key);
    if (!pipe) {
      pipe = (async () => {
        const local = await router.createPipe();
        try {
          const answer = TupleSchema.parse(
            await this.rpc.call(
              node,
              'relay.open',
              { roomKey, tuple: local.local },
              RELAY_TIMEOUT_MS,
            ),
          ) as PipeTuple;
          await local.connect(answer);
        } catch (error) {
          local.close();
          throw error;
        }
        this.#track(local, { roomKey, peer: node, direction: 'in', pipe: local });
        local.once('close', () => {
          if (this.#inbound.get(key) === pipe) this.#inbound.delete(key);
        });
        this.log.info({ room: roomKey, from: node }, 'relay pipe opened');
        return local;
      })();
      this.#inbound.set(key, pipe);
      pipe.catch(() => {
        if (this.#inbound.get(key) === pipe) this.#inbound.delete(key);
      });
    }
    return pipe;
  }

  async #open(params: z.infer<typeof OpenSchema>, from: string): Promise<PipeTuple> {
    const room = this.roomByKey(params.roomKey);
    const router = room && !room.closed ? await room.mediaRouter() : null;
    if (!router) throw new Error(`room ${params.roomKey} has no media on this node`);
    const key = pairKey(params.roomKey, from);
    // The other end starts over (its previous pipe is gone): so does this one.
    this.#outbound.get(key)?.close();
    const pipe = await router.createPipe();
    try {
      await pipe.connect(params.tuple as PipeTuple);
    } catch (error) {
      pipe.close();
      throw error;
    }
    this.#outbound.set(key, pipe);
    this.#track(pipe, { roomKey: params.roomKey, peer: from, direction: 'out', pipe });
    pipe.once('close', () => {
      if (this.#outbound.get(key) === pipe) this.#outbound.delete(key);
    });
    return pipe.local;
  }

  #send(params: z.infer<typeof SendSchema>, from: string) {
    const pipe = this.#outbound.get(pairKey(params.roomKey, from));
    if (!pipe) throw new Error(`no relay pipe of room ${params.roomKey} to node ${from}`);
    return pipe.send(params.producerId);
  }

  #track(pipe: MediaPipe, info: RelayInfo): void {
    this.#info.set(pipe, info);
    pipe.once('close', () => this.#info.delete(pipe));
  }
}
