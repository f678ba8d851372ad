/**
 * WHIP ingest (RFC 9725) and WHEP playback (draft-ietf-wish-whep) over the rooms: a WHIP
 * session joins a room as its user and publishes the client's offer through the same path as
 * a v4 client (UserSig, privateMapKey, bans and join policy, room limits, the newer session of
 * a userId wins); a WHEP session plays one user's stream to a player. This class holds the
 * sessions, ICE restarts and the sweep that ends sessions whose peer never connected or went
 * away; whipHttp.ts is its HTTP face.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import {
  roomIdProblem,
  roomKey,
  userIdProblem,
  type RoomRef,
  type StreamType,
  type TrackKind,
} from '@parley/protocol';
import { userSigIdentifier } from '@parley/usersig';
import type { Logger } from 'pino';
import * as sdpTransform from 'sdp-transform';
import type {
  MediaConsumer,
  MediaEngine,
  MediaPipe,
  MediaProducer,
  MediaRouter,
  MediaTransport,
} from '../media/MediaEngine.js';
import type { TransportState } from '../media/types.js';
import { Participant } from '../room/Participant.js';
import { has, receiveBit } from '../room/privileges.js';
import type { Room } from '../room/Room.js';
import type { RoomManager } from '../room/RoomManager.js';
import type { IceServerInfo } from '../turn/turnConfig.js';
import {
  PlayerOffer,
  playerCodecs,
  slotCapabilities,
  type PlayerSlot,
  type SentTrack,
} from '../sdp/PlayerOffer.js';
import { PublishOffer, SdpError } from '../sdp/PublishOffer.js';
import { isClosed } from '../sdp/sdpCommon.js';
import { IngestSession, type MediaSession } from './IngestSession.js';
import { PlaybackSession } from './PlaybackSession.js';
import { asWhipError, WhipError } from './WhipError.js';
import type { WhipConfig } from './whipConfig.js';

export interface WhipAuth {
  /** The per-IP join rate limit of v4 joins (PARLEY_JOINS_PER_SECOND_PER_IP): throws over it. */
  checkRate?(ip: string): void;
  /** Throws a ServerError (bad or expired UserSig, unknown application). */
  verifyUser(sdkAppId: number, userId: string, userSig: string): void;
  /** The privilege bits a privateMapKey grants, or throws a ServerError. */
  verifyRoomPermission(sdkAppId: number, userId: string, ref: RoomRef, key: string): number;
  /** The server API's refusals (bans, a privateMapKey the app requires): null to let in. */
  checkJoin(
    sdkAppId: number,
    ref: RoomRef,
    userId: string,
    hasPrivateMapKey: boolean,
    /** False for a WHEP viewer (no member: the app's member limits do not apply). */
    member: boolean,
  ): { message: string } | null;
}

export interface WhipServiceOptions {
  rooms: RoomManager;
  /** Makes each WHEP session's own router (see PlaybackSession). */
  engine: MediaEngine;
  auth: WhipAuth;
  config: WhipConfig;
  log: Logger;
  /** Operations' note of a member joining (the server API lists it with its address). */
  noteJoin?: (participant: Participant, clientIp: string) => void;
  /** The TURN servers (PARLEY_TURN_URLS) a client of `userId` may use, as v4 clients get them. */
  iceServers?: (userId: string) => IceServerInfo[];
  /** Cluster mode: how a WHIP member is admitted and replicated (null: a single node). */
  cluster?: () => WhipClusterHooks | null;
}

/**
 * What a cluster adds to a WHIP join (the admission and member record of a v4 join, so the
 * other nodes see the member) and to every session (its node is recorded, so a PATCH or
 * DELETE reaching another node is forwarded here).
 */
export interface WhipClusterHooks {
  /** Cluster-wide room limits and the session's epoch; throws a ServerError. */
  admit(sdkAppId: number, ref: RoomRef, userId: string): Promise<number>;
  /** What the member's record carries besides its state. */
  noteJoin(participant: Participant, clientIp: string): void;
  /** An admitted join that failed gives its seat back. */
  abandon(sdkAppId: number, ref: RoomRef, userId: string, epoch: number): Promise<void>;
  /** The session is held here until it ends. */
  held(session: MediaSession): void;
}

/** Where a WHIP client publishes or a WHEP player plays. */
export interface StreamAddress {
  sdkAppId: number;
  ref: RoomRef;
  /** WHIP: the user it publishes as; WHEP: the user whose stream it plays. */
  userId: string;
  /** The Bearer token (a UserSig). */
  token: string;
  privateMapKey?: string;
  remoteAddress: string;
}

export interface Created {
  session: MediaSession;
  answer: string;
  /** For the 201's `Link: <url>; rel="ice-server"` headers (RFC 9725 §4.6). */
  iceServers: IceServerInfo[];
}

/** The server's ICE credentials and candidates after a restart (RFC 9725 §4.4.2). */
export interface IceRestarted {
  fragment: string;
}

/** Who holds a session: the WHIP user or WHEP viewer, and its client address. */
interface Owner {
  sdkAppId: number;
  userId: string;
  ip: string;
}

/** Reads the POST's body (the offer): only once the request passed the checks. */
export type OfferBody = () => Promise<string>;

const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();

export class WhipService {
  readonly #sessions = new Map<string, MediaSession>();
  /** Whose each session is (its WHIP user or WHEP viewer): their UserSigs may end it. */
  readonly #owners = new Map<string, Owner>();
  /** POSTs being read or set up (counted against the limits), with whose they are. */
  readonly #pending = new Set<Owner>();
  /** When each session last heard from its peer (connected; a WHIP client: RTP in), or was made. */
  readonly #lastConnected = new Map<string, { at: number; ever: boolean; bytesIn: number }>();
  #sweeping = false;
  readonly #log: Logger;
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly options: WhipServiceOptions) {
    this.#log = options.log.child({ component: 'whip' });
    this.#sweeper = setInterval(() => {
      this.#sweep().catch((error: unknown) => this.#log.error({ err: error }, 'WHIP sweep failed'));
    }, 1000);
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * WHIP: joins the room as `address.userId` and publishes the client's offer, read with
   * `body` once the rate, the UserSig, the room's entry rules and the limits let it in.
   */
  async ingest(address: StreamAddress, body: OfferBody): Promise<Created> {
    const { sdkAppId, ref, userId, token } = address;
    this.#checkIds(ref, userId);
    this.#checkRate(address.remoteAddress);
    const privilege = this.#admit(sdkAppId, ref, userId, token, address.privateMapKey, true);
    const owner = { sdkAppId, userId, ip: address.remoteAddress };
    this.#checkCapacity(owner);
    this.#pending.add(owner);
    try {
      return await this.#ingest(address, await body(), privilege, owner);
    } finally {
      this.#pending.delete(owner);
    }
  }

  async #ingest(
    address: StreamAddress,
    sdp: string,
    privilege: number | null,
    owner: Owner,
  ): Promise<Created> {
    const { sdkAppId, ref, userId, token } = address;
    const problem = PublishOffer.problem(sdp);
    if (problem) throw new WhipError(400, problem);
    const offered = readOffer(sdp);
    await this.#checkPublishable(sdkAppId, ref, userId, sdp, offered.tracks);
    const participant = new Participant(
      userId,
      'anchor',
      randomBytes(8).toString('hex'),
      randomBytes(24).toString('base64url'),
      false,
      'rtc',
    );
    if (privilege !== null) participant.privilege = privilege;
    const id = randomBytes(16).toString('base64url');
    const session = new IngestSession(
      id,
      tokenHash(token),
      participant,
      address.remoteAddress,
      this.#log,
    );
    session.remoteUfrag = offered.ufrag;
    const cluster = this.options.cluster?.() ?? null;
    if (cluster) {
      try {
        participant.epoch = await cluster.admit(sdkAppId, ref, userId);
      } catch (error) {
        throw asWhipError(error);
      }
      cluster.noteJoin(participant, address.remoteAddress);
    }
    this.options.noteJoin?.(participant, address.remoteAddress);
    let room: Room;
    try {
      ({ room } = await this.options.rooms.join(
        sdkAppId,
        ref,
        participant,
        `user ${userId} joined room ${String(ref.id)} from another connection (WHIP)`,
      ));
    } catch (error) {
      await cluster?.abandon(sdkAppId, ref, userId, participant.epoch);
      throw error;
    }
    session.room = room;
    let answer: string;
    try {
      ({ sdp: answer } = await room.publish(participant, {
        sdp,
        tracks: offered.tracks.map((t) => ({ ...t, streamType: 'main', muted: false })),
      }));
    } catch (error) {
      await session.end('its offer was refused');
      throw error;
    }
    if (session.ended) throw new WhipError(409, 'the session was ended while it was set up');
    this.#track(session, owner);
    this.#log.info(
      { session: id, room: room.key, user: userId, tracks: offered.tracks.map((t) => t.kind) },
      'WHIP session published',
    );
    return { session, answer, iceServers: this.options.iceServers?.(userId) ?? [] };
  }

  /**
   * What room.publish would refuse after the join, checked before it: joining ends the live
   * session of the userId in the room (the newer wins), which a refused offer must not do.
   * Without the room there is no such session, and publish checks it all the same.
   */
  async #checkPublishable(
    sdkAppId: number,
    ref: RoomRef,
    userId: string,
    sdp: string,
    tracks: readonly { mid: string }[],
  ): Promise<void> {
    const room = this.options.rooms.get(sdkAppId, ref);
    if (!room || room.closed) return;
    const media = await room.ensureMedia();
    let offer: PublishOffer;
    try {
      offer = new PublishOffer(sdp, media.rtpCapabilities.codecs);
    } catch (error) {
      if (error instanceof SdpError) {
        throw new WhipError(400, `publish offer refused: ${error.message}`);
      }
      throw error;
    }
    if (!tracks.some((t) => offer.tracks.some((o) => o.mid === t.mid))) {
      throw new WhipError(
        400,
        "publish offer refused: none of its sections carries one of the room's codecs (Opus, VP8, H264)",
      );
    }
    const { maxPublishersPerRoom } = room.limits;
    let publishers = 0;
    for (const p of room.participants.values()) {
      if (p.userId !== userId && p.streams.size > 0) publishers++;
    }
    if (publishers >= maxPublishersPerRoom) {
      throw new WhipError(
        429,
        `room ${String(ref.id)} has ${publishers} members publishing, the limit of this server (PARLEY_MAX_PUBLISHERS_PER_ROOM) is ${maxPublishersPerRoom}`,
        { 'Retry-After': '10' },
      );
    }
  }

  /**
   * WHEP: plays `address.userId`'s stream to the player. The token is a UserSig of the
   * viewer (`viewerId`, or the userId it was signed for).
   */
  async play(
    address: StreamAddress,
    body: OfferBody,
    streamType: StreamType = 'main',
    viewerId?: string,
  ): Promise<Created> {
    const { sdkAppId, ref, userId, token } = address;
    const viewer = viewerId ?? userSigIdentifier(token);
    if (viewer === null) {
      throw new WhipError(401, 'the Bearer token is not a UserSig (TLSSigAPIv2)');
    }
    this.#checkIds(ref, userId);
    const viewerProblem = userIdProblem(viewer);
    if (viewerProblem) throw new WhipError(400, `viewerId: ${viewerProblem}`);
    this.#checkRate(address.remoteAddress);
    const privilege = this.#admit(sdkAppId, ref, viewer, token, address.privateMapKey, false);
    const owner = { sdkAppId, userId: viewer, ip: address.remoteAddress };
    this.#checkCapacity(owner);
    this.#pending.add(owner);
    try {
      return await this.#play(address, await body(), streamType, privilege, owner);
    } finally {
      this.#pending.delete(owner);
    }
  }

  async #play(
    address: StreamAddress,
    sdp: string,
    streamType: StreamType,
    privilege: number | null,
    owner: Owner,
  ): Promise<Created> {
    const viewer = owner.userId;
    const { sdkAppId, ref, userId, token } = address;
    let offer: PlayerOffer;
    try {
      offer = new PlayerOffer(sdp);
    } catch (error) {
      if (error instanceof SdpError) throw new WhipError(400, error.message);
      throw error;
    }
    const room = this.options.rooms.get(sdkAppId, ref);
    const publisher = room && !room.closed ? room.participants.get(userId) : undefined;
    if (!room || !publisher || !publisher.local) {
      throw new WhipError(404, `user ${userId} is not in room ${String(ref.id)} on this server`);
    }
    const stream = publisher.streams.get(streamType);
    const playable = (kind: TrackKind) => {
      const track = stream?.tracks.get(kind);
      if (!track?.producer || track.withheld) return null;
      if (privilege !== null && !has(privilege, receiveBit(streamType, kind))) return null;
      return track.producer;
    };
    if (!playable('audio') && !playable('video')) {
      throw new WhipError(
        404,
        `user ${userId} publishes no ${streamType} stream this viewer may receive`,
      );
    }
    const roomRouter = await room.ensureMedia();
    const sentCodecs = (['audio', 'video'] as const).flatMap((kind) => {
      const codec = playable(kind)?.rtpParameters.codecs[0];
      return codec ? [{ ...codec, kind, preferredPayloadType: codec.payloadType }] : [];
    });
    const codecs = playerCodecs(roomRouter.rtpCapabilities.codecs, offer.slots, sentCodecs);
    if (codecs.length === 0) {
      throw new WhipError(
        422,
        `the player's offer decodes none of the codecs ${userId}'s ${streamType} stream is sent in (${sentCodecs.map((c) => c.mimeType).join(', ')})`,
      );
    }
    const id = randomBytes(16).toString('base64url');
    let router: MediaRouter;
    try {
      router = await this.options.engine.createRouter(codecs);
    } catch (error) {
      // The engine refuses codecs it cannot route as offered (mediasoup: TypeError or
      // UnsupportedError): the offer's fault, not the server's.
      if (error instanceof TypeError || (error as Error | null)?.name === 'UnsupportedError') {
        throw new WhipError(
          422,
          `the player's codecs cannot be routed: ${(error as Error).message}`,
        );
      }
      throw error;
    }
    const session = new PlaybackSession(id, tokenHash(token), viewer, router, {
      sdkAppId,
      roomKey: room.key,
    });
    session.remoteUfrag = readUfrag(sdp);
    try {
      const [out, into] = await Promise.all([
        roomRouter.createPipe({ local: true }),
        router.createPipe({ local: true }),
      ]);
      session.addPipe(out);
      session.addPipe(into);
      await Promise.all([out.connect(into.local), into.connect(out.local)]);
      const transport = await router.createTransport('subscriber');
      session.setTransport(transport);
      await transport.connect(offer.dtlsParameters);
      const sent = new Map<string, SentTrack>();
      const kinds: TrackKind[] = [];
      for (const slot of offer.slots) {
        const producer = playable(slot.kind);
        if (!producer) continue;
        const consumer = await this.#relay(out, into, producer, router, transport, slot).catch(
          (error: unknown) => {
            // The player decodes none of the track's codecs, or the stream just ended.
            this.#log.info({ err: error, user: userId, kind: slot.kind }, 'WHEP track not sent');
            return null;
          },
        );
        if (!consumer) continue;
        // The stream it plays ended: so does the session (the player may POST again).
        const streamEnded = () => void session.end('the stream it played ended');
        producer.once('close', streamEnded);
        // The producer outlives most sessions: leave nothing on it once this one is over.
        session.once('ended', () => producer.off('close', streamEnded));
        kinds.push(slot.kind);
        sent.set(slot.mid, {
          rtpParameters: consumer.rtpParameters,
          streamId: `${userId}_${streamType}`,
          trackId: `${userId}_${streamType}_${slot.kind}`,
        });
      }
      if (sent.size === 0) {
        throw new WhipError(
          422,
          `the player's offer decodes none of ${userId}'s ${streamType} tracks (its codecs or directions do not fit)`,
        );
      }
      const answer = offer.answer(transport, sent, String(randomInt(1, 2 ** 31)), 1);
      this.#track(session, owner);
      this.#log.info(
        { session: id, room: room.key, user: userId, viewer, tracks: kinds },
        'WHEP session playing',
      );
      return { session, answer, iceServers: this.options.iceServers?.(viewer) ?? [] };
    } catch (error) {
      await session.end('its setup failed');
      throw error;
    }
  }

  /** One room track over the pipe into the session's router, consumed by the player. */
  async #relay(
    out: MediaPipe,
    into: MediaPipe,
    producer: MediaProducer,
    router: MediaRouter,
    transport: MediaTransport,
    slot: PlayerSlot,
  ): Promise<MediaConsumer> {
    const piped = await out.send(producer.id);
    const local = await into.receive(piped);
    const consumer = await transport.consume({
      producerId: local.id,
      rtpCapabilities: slotCapabilities(router.rtpCapabilities, slot),
    });
    if (consumer.kind === 'video') await consumer.requestKeyframe().catch(() => undefined);
    return consumer;
  }

  /** Whether this server holds the live session `id` of `kind`. */
  holds(kind: 'whip' | 'whep', id: string): boolean {
    const session = this.#sessions.get(id);
    return !!session && session.kind === kind && !session.ended;
  }

  /**
   * The checks a WHEP POST passes before its offer is read and sent to the node the played
   * user publishes on (which checks it all again): the ids and the viewer's UserSig.
   */
  checkViewer(address: StreamAddress, viewerId?: string): void {
    const viewer = viewerId ?? userSigIdentifier(address.token);
    if (viewer === null) {
      throw new WhipError(401, 'the Bearer token is not a UserSig (TLSSigAPIv2)');
    }
    this.#checkIds(address.ref, address.userId);
    const viewerProblem = userIdProblem(viewer);
    if (viewerProblem) throw new WhipError(400, `viewerId: ${viewerProblem}`);
    this.#checkRate(address.remoteAddress);
    try {
      this.options.auth.verifyUser(address.sdkAppId, viewer, address.token);
    } catch (error) {
      throw asWhipError(error);
    }
  }

  /** The session `id` of `kind`, for a request that presents `token`. */
  get(kind: 'whip' | 'whep', id: string, token: string | undefined): MediaSession {
    const session = this.#sessions.get(id);
    if (!session || session.kind !== kind || session.ended) {
      throw new WhipError(404, `no ${kind.toUpperCase()} session ${id.slice(0, 40)}`);
    }
    if (token === undefined) {
      throw new WhipError(401, 'the session needs the Bearer token it was created with', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (timingSafeEqual(tokenHash(token), session.tokenHash)) return session;
    // Another valid UserSig of the same user will do (a client may sign a fresh one).
    const owner = this.#owners.get(session.id);
    try {
      if (!owner) throw new Error('no owner');
      this.options.auth.verifyUser(owner.sdkAppId, owner.userId, token);
      return session;
    } catch {
      throw new WhipError(
        403,
        'the Bearer token is neither the one the session was created with nor a UserSig of its user',
      );
    }
  }

  /** The session's entity tag: it changes at each ICE restart. */
  static etag(session: MediaSession): string {
    return `"${session.id.slice(0, 10)}.${session.iceGeneration}"`;
  }

  /**
   * A trickle or ICE-restart fragment (RFC 8840 / RFC 9725 §4.4): the server is ICE-lite, so
   * trickled candidates are not needed (null: 204); new ICE credentials restart ICE on the
   * server's side too and get its new ones back.
   */
  async patch(
    session: MediaSession,
    fragment: string,
    /** Whether the request had If-Match (RFC 9725 §4.4.2: an ICE restart must). */
    conditional: boolean,
  ): Promise<IceRestarted | null> {
    const ufrag = /^a=ice-ufrag:(\S+)\s*$/m.exec(fragment)?.[1];
    const pwd = /^a=ice-pwd:(\S+)\s*$/m.exec(fragment)?.[1];
    if (ufrag === undefined && pwd === undefined) return null;
    if (ufrag === undefined || pwd === undefined) {
      throw new WhipError(400, 'an ICE restart fragment needs both a=ice-ufrag and a=ice-pwd');
    }
    if (ufrag === session.remoteUfrag) return null;
    if (!conditional) {
      throw new WhipError(
        428,
        'an ICE restart needs If-Match: * or the session ETag (RFC 9725 §4.4.2)',
      );
    }
    const transport = session.transport();
    if (!transport) throw new WhipError(404, 'the session has no media connection any more');
    let local: Awaited<ReturnType<MediaTransport['restartIce']>>;
    try {
      local = await transport.restartIce();
    } catch (error) {
      if (session.ended || transport.closed) {
        throw new WhipError(404, 'the session ended during the ICE restart');
      }
      throw error;
    }
    // Ended while the engine restarted ICE: nothing to answer, nothing to watch.
    if (session.ended) throw new WhipError(404, 'the session ended during the ICE restart');
    session.remoteUfrag = ufrag;
    session.iceGeneration++;
    this.#lastConnected.set(session.id, { at: Date.now(), ever: false, bytesIn: 0 });
    const mid = /^a=mid:(\S+)\s*$/m.exec(fragment)?.[1] ?? '0';
    const lines = [
      'a=ice-lite',
      `a=ice-ufrag:${local.usernameFragment}`,
      `a=ice-pwd:${local.password}`,
      `m=audio 9 UDP/TLS/RTP/SAVPF 0`,
      `a=mid:${mid}`,
      ...transport.iceCandidates.map(
        (c) =>
          `a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.address} ${c.port} typ ${c.type}${c.tcpType ? ` tcptype ${c.tcpType}` : ''}`,
      ),
      'a=end-of-candidates',
    ];
    this.#log.info({ session: session.id, kind: session.kind }, 'ICE restarted');
    return { fragment: lines.join('\r\n') + '\r\n' };
  }

  /**
   * Ends the WHEP sessions of `viewers` (null: all) playing in the room: a ban, RemoveUser
   * or DismissRoom reaches viewers as it reaches members.
   */
  async endViewers(
    sdkAppId: number,
    ref: RoomRef,
    viewers: readonly string[] | null,
    why: string,
  ): Promise<void> {
    const key = roomKey(sdkAppId, ref);
    const ending = [...this.#sessions.values()].filter(
      (s): s is PlaybackSession =>
        s instanceof PlaybackSession &&
        s.room.roomKey === key &&
        (viewers === null || viewers.includes(s.viewerId)),
    );
    await Promise.all(ending.map((s) => s.end(`the room ended it: ${why}`)));
  }

  /** DELETE: ends the session (a WHIP user leaves its room). */
  async remove(session: MediaSession): Promise<void> {
    await session.end('the client deleted it');
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#sessions.values()].map((s) => s.end('the server is stopping')));
  }

  // ---- internals ----

  #checkIds(ref: RoomRef, userId: string): void {
    const problem = roomIdProblem(ref) ?? userIdProblem(userId);
    if (problem) throw new WhipError(400, problem);
  }

  /** The join checks of a v4 client; the privateMapKey's privilege bits (null: none given). */
  #admit(
    sdkAppId: number,
    ref: RoomRef,
    userId: string,
    token: string,
    privateMapKey: string | undefined,
    member: boolean,
  ): number | null {
    const { auth } = this.options;
    try {
      auth.verifyUser(sdkAppId, userId, token);
      const privilege = privateMapKey
        ? auth.verifyRoomPermission(sdkAppId, userId, ref, privateMapKey)
        : null;
      // Only a key that was verified counts: an empty one is none (privilege null grants all).
      const refusal = auth.checkJoin(sdkAppId, ref, userId, privilege !== null, member);
      if (refusal) throw new WhipError(403, refusal.message);
      return privilege;
    } catch (error) {
      throw asWhipError(error);
    }
  }

  #checkRate(ip: string): void {
    try {
      this.options.auth.checkRate?.(ip);
    } catch (error) {
      throw asWhipError(error);
    }
  }

  /**
   * Sessions held and being read or set up, against PARLEY_WHIP_MAX_SESSIONS; those of the
   * client's address and of its user whose peer has not connected yet, against
   * PARLEY_WHIP_MAX_PENDING_PER_IP / _PER_USER.
   */
  #checkCapacity(owner: Owner): void {
    const { maxSessions, maxPendingPerIp, maxPendingPerUser } = this.options.config;
    const held = this.#sessions.size + this.#pending.size;
    if (held >= maxSessions) {
      throw new WhipError(
        429,
        `this server holds ${held} WHIP/WHEP sessions, its limit (PARLEY_WHIP_MAX_SESSIONS) is ${maxSessions}`,
        { 'Retry-After': '10' },
      );
    }
    const waiting = [...this.#pending];
    for (const [id, o] of this.#owners) {
      if (this.#lastConnected.get(id)?.ever === false) waiting.push(o);
    }
    const ofIp = waiting.filter((o) => o.ip === owner.ip).length;
    if (ofIp >= maxPendingPerIp) {
      throw new WhipError(
        429,
        `${ofIp} WHIP/WHEP sessions from ${owner.ip} are not connected yet, its limit (PARLEY_WHIP_MAX_PENDING_PER_IP) is ${maxPendingPerIp}`,
        { 'Retry-After': '10' },
      );
    }
    const ofUser = waiting.filter(
      (o) => o.sdkAppId === owner.sdkAppId && o.userId === owner.userId,
    ).length;
    if (ofUser >= maxPendingPerUser) {
      throw new WhipError(
        429,
        `${ofUser} WHIP/WHEP sessions of user ${owner.userId} are not connected yet, its limit (PARLEY_WHIP_MAX_PENDING_PER_USER) is ${maxPendingPerUser}`,
        { 'Retry-After': '10' },
      );
    }
  }

  #track(session: MediaSession, owner: Owner): void {
    this.options.cluster?.()?.held(session);
    this.#sessions.set(session.id, session);
    this.#owners.set(session.id, owner);
    this.#lastConnected.set(session.id, { at: Date.now(), ever: false, bytesIn: 0 });
    // A peer that connects and dies between two sweeps was connected all the same: its
    // silence is timed from then, not from the POST against the (longer) connect timeout.
    const transport = session.transport();
    const onState = (state: TransportState): void => {
      const seen = this.#lastConnected.get(session.id);
      if (state === 'connected' && seen) {
        seen.ever = true;
        seen.at = Date.now();
      }
    };
    transport?.on('statechange', onState);
    session.on('ended', (reason) => {
      transport?.off('statechange', onState);
      this.#sessions.delete(session.id);
      this.#owners.delete(session.id);
      this.#lastConnected.delete(session.id);
      this.#log.info({ session: session.id, kind: session.kind, reason }, 'session ended');
    });
  }

  /**
   * Ends sessions whose peer did not connect in time, or whose peer went silent: its
   * connection down, or (WHIP) no RTP received for PARLEY_WHIP_DISCONNECT_TIMEOUT_MS. A WHIP client has no signaling socket whose
   * heartbeat would tell, and ICE consent alone takes 30 s to notice one that vanished.
   */
  async #sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const { connectTimeoutMs, disconnectTimeoutMs } = this.options.config;
      for (const session of [...this.#sessions.values()]) {
        const seen = this.#lastConnected.get(session.id);
        const transport = session.transport();
        if (!seen || session.ended) continue;
        const now = Date.now();
        if (transport?.state === 'connected') {
          // A WHEP player only reports (RTCP) while media reaches it: a paused stream would
          // silence it; its liveness is ICE's.
          const { bytesIn } =
            session.kind === 'whip'
              ? await transport.stats().catch(() => ({ bytesIn: seen.bytesIn }))
              : { bytesIn: seen.bytesIn + 1 };
          if (!seen.ever || bytesIn !== seen.bytesIn) seen.at = now;
          seen.ever = true;
          seen.bytesIn = bytesIn;
          if (now - seen.at <= disconnectTimeoutMs) continue;
        }
        const limit = seen.ever ? disconnectTimeoutMs : connectTimeoutMs;
        if (transport && now - seen.at <= limit) continue;
        const why = !transport
          ? 'its media connection is gone'
          : seen.ever
            ? `nothing received from its peer for ${limit} ms`
            : `its peer did not connect (ICE + DTLS) within ${limit} ms`;
        await session.end(why).catch((error: unknown) => {
          this.#log.warn({ err: error, session: session.id }, 'ending a session failed');
        });
      }
    } finally {
      this.#sweeping = false;
    }
  }
}

/** The audio and video tracks of a WHIP offer (the first sending section of each kind). */
function readOffer(sdp: string): {
  ufrag: string | null;
  tracks: { mid: string; kind: TrackKind }[];
} {
  let description: sdpTransform.SessionDescription;
  try {
    description = sdpTransform.parse(sdp);
  } catch {
    throw new WhipError(400, 'the offer is not valid SDP');
  }
  const tracks: { mid: string; kind: TrackKind }[] = [];
  for (const section of description.media) {
    if (section.type !== 'audio' && section.type !== 'video') continue;
    if (isClosed(section) || section.direction === 'inactive' || section.direction === 'recvonly')
      continue;
    if (section.mid === undefined) {
      throw new WhipError(400, `a ${section.type} section of the offer has no a=mid`);
    }
    if (tracks.some((t) => t.kind === section.type)) continue;
    tracks.push({ mid: String(section.mid), kind: section.type });
  }
  if (tracks.length === 0) {
    throw new WhipError(
      400,
      'the offer sends no audio or video (every section is recvonly or closed)',
    );
  }
  return { ufrag: readUfrag(sdp), tracks };
}

function readUfrag(sdp: string): string | null {
  return /^a=ice-ufrag:(\S+)\s*$/m.exec(sdp)?.[1] ?? null;
}
