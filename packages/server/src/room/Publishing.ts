/**
 * What the members of one room publish: each one's publisher connection, its streams and
 * their tracks (one engine producer each), from a publish request's offer and track map to
 * the answer; mute, unpublish, withheld tracks, and the reset of a lost connection. Runs
 * inside the room's queue: every method is called by the Room, one operation at a time.
 * Viewers are brought up to date through Subscriptions.
 */
import {
  ErrorCode,
  ROOM_LIMIT_REACHED,
  ROOM_PERMISSION_DENIED,
  type ClientRequestData,
  type StreamType,
  type TrackKind,
} from '@parley/protocol';
import type { MediaProducer, MediaRouter, MediaTransport } from '../media/MediaEngine.js';
import { PublishOffer, SdpError } from '../sdp/PublishOffer.js';
import { ServerError } from '../ServerError.js';
import type { Participant, PublishedStream } from './Participant.js';
import { privilegeName, sendBit } from './privileges.js';
import type { RoomContext } from './RoomContext.js';
import type { Subscriptions } from './Subscriptions.js';

type DeclaredTracks = ClientRequestData<'publish'>['tracks'];
type Change = 'added' | 'updated' | 'restored';

export class Publishing {
  constructor(
    private readonly room: RoomContext,
    private readonly subscriptions: Subscriptions,
  ) {}

  async publish(
    participant: Participant,
    data: ClientRequestData<'publish'>,
  ): Promise<{ sdp: string }> {
    if (participant.role === 'audience') {
      throw ServerError.wrongState('an audience member cannot publish; switchRole("anchor") first');
    }
    const mids = new Set(data.tracks.map((t) => t.mid));
    if (mids.size !== data.tracks.length) throw ServerError.invalid('publish lists a mid twice');
    this.#checkSendRights(participant, data.tracks);
    this.#checkPublisherLimit(participant);
    const problem = PublishOffer.problem(data.sdp);
    if (problem) throw ServerError.invalid(problem);
    const media = await this.room.media();
    let offer: PublishOffer;
    try {
      offer = new PublishOffer(data.sdp, media.rtpCapabilities.codecs);
    } catch (error) {
      if (error instanceof SdpError)
        throw ServerError.invalid(`publish offer refused: ${error.message}`);
      throw error;
    }
    const existing = participant.publisher;
    const transport = existing ?? (await this.#createPublisher(participant, media));
    this.room.assertIn(participant);
    // The client restarts ICE (its path changed or failed): new server credentials too.
    if (data.iceRestart && existing) await transport.restartIce();
    await transport.connect(offer.dtlsParameters);
    const changed = await this.#applyTrackMap(participant, transport, data.tracks, offer);
    if (participant.streams.size === 0) {
      this.close(participant);
      throw ServerError.invalid(
        `the offer carries none of the declared tracks (mids ${[...mids].join(', ')})`,
      );
    }
    const accepted = new Set<string>();
    for (const stream of participant.streams.values()) {
      for (const track of stream.tracks.values()) accepted.add(track.mid);
    }
    const answer = offer.answer(transport, accepted, ++participant.publishVersion);
    for (const [streamType, change] of changed) {
      const info = participant.streamInfo(streamType);
      if (!info) continue;
      const isNew = change === 'added';
      this.room.log.info({ stream: info }, isNew ? 'stream published' : 'stream updated');
      if (change !== 'restored')
        this.room.emit(isNew ? 'stream-published' : 'stream-updated', info);
      await this.subscriptions.refreshViewers(participant, streamType, change === 'updated');
    }
    return { sdp: answer };
  }

  unpublish(participant: Participant, streamType: StreamType): void {
    const stream = participant.streams.get(streamType);
    if (!stream) throw ServerError.wrongState(`no ${streamType} stream is published`);
    this.removeStream(participant, stream);
  }

  async mute(participant: Participant, data: ClientRequestData<'mute'>): Promise<void> {
    const track = participant.streams.get(data.streamType)?.tracks.get(data.kind);
    if (!track) {
      throw ServerError.wrongState(`no published ${data.streamType} ${data.kind} track to mute`);
    }
    if (track.muted === data.muted) return;
    track.muted = data.muted;
    // The client stops sending too; pausing here also holds for one that does not.
    if (track.producer) await (data.muted ? track.producer.pause() : track.producer.resume());
    const info = participant.streamInfo(data.streamType);
    if (info) this.room.emit('stream-updated', info);
    await this.subscriptions.refreshViewers(participant, data.streamType);
  }

  /**
   * After new privileges: own tracks whose send bit is gone are withheld (the others lose
   * them; the sender is told why), those whose bit came back return.
   */
  async applySendRights(participant: Participant): Promise<void> {
    for (const stream of [...participant.streams.values()]) {
      let changed = false;
      for (const [kind, track] of stream.tracks) {
        const withheld = !participant.canSend(stream.type, kind);
        if (withheld === track.withheld) continue;
        track.withheld = withheld;
        changed = true;
        if (withheld) {
          participant.sink?.notify('error', {
            code: ErrorCode.INVALID_OPERATION,
            extraCode: ROOM_PERMISSION_DENIED,
            message: `the new privateMapKey does not grant ${privilegeName(sendBit(stream.type, kind))}: your ${stream.type} ${kind} track is no longer forwarded to anyone`,
          });
        }
      }
      if (changed) await this.subscriptions.refreshViewers(participant, stream.type);
    }
  }

  /** Unpublishes every stream of the participant (it leaves, or becomes audience). */
  removeAll(participant: Participant): void {
    for (const stream of [...participant.streams.values()]) this.removeStream(participant, stream);
  }

  removeStream(participant: Participant, stream: PublishedStream): void {
    for (const kind of [...stream.tracks.keys()]) this.#closeTrack(participant, stream, kind);
    participant.streams.delete(stream.type);
    this.subscriptions.streamRemoved(participant, stream.type);
    this.room.emit('stream-unpublished', participant.userId, stream.type);
    this.room.log.info({ user: participant.userId, streamType: stream.type }, 'stream unpublished');
    if (participant.streams.size === 0) this.close(participant);
  }

  /** Closes the publisher connection (its producers close with it). */
  close(participant: Participant): void {
    participant.publisher?.close();
    participant.publisher = null;
  }

  /** Producers lost with a media worker: their tracks wait for the republish. */
  producersLost(participant: Participant, producerIds: ReadonlySet<string>): void {
    this.#releaseProducers(participant, (producer) => producerIds.has(producer.id));
  }

  /** The publisher connection is gone: its producers with it; the client publishes again. */
  resetPublisher(participant: Participant, transport: MediaTransport, why: string): void {
    if (participant.publisher !== transport || participant.left) return;
    participant.publisher = null;
    transport.close();
    this.#releaseProducers(participant, () => true);
    this.room.log.warn({ user: participant.userId, why }, 'publisher connection reset');
    participant.sink?.notify('media-reset', { pc: 'publisher', reason: why });
  }

  /**
   * The tracks whose producer `gone` names lose it (closed, if it was not yet) and the
   * consumers it fed; they stay published and wait for the republish.
   */
  #releaseProducers(participant: Participant, gone: (producer: MediaProducer) => boolean): void {
    for (const stream of participant.streams.values()) {
      for (const [kind, track] of stream.tracks) {
        if (!track.producer || !gone(track.producer)) continue;
        track.producer.close();
        track.producer = null;
        this.subscriptions.dropConsumers(participant.userId, stream.type, [kind]);
      }
    }
  }

  /**
   * Refuses a publish that adds a track its privateMapKey does not let it send. Tracks already
   * published keep their place in the map (a key that withdrew the bit withheld them instead).
   */
  #checkSendRights(participant: Participant, declared: DeclaredTracks): void {
    for (const entry of declared) {
      if (participant.canSend(entry.streamType, entry.kind)) continue;
      const current = participant.streams.get(entry.streamType)?.tracks.get(entry.kind);
      if (current && (current.mid === entry.mid || current.producer === null)) continue;
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        `the privateMapKey does not grant ${privilegeName(sendBit(entry.streamType, entry.kind))}: cannot publish a ${entry.streamType} ${entry.kind} track (privilege ${participant.privilege})`,
        ROOM_PERMISSION_DENIED,
      );
    }
  }

  /** Refuses the first publish of a member when the room has its fill of publishers. */
  #checkPublisherLimit(participant: Participant): void {
    if (participant.streams.size > 0) return;
    const { maxPublishersPerRoom } = this.room.limits;
    let publishers = 0;
    for (const p of this.room.participants.values()) if (p.streams.size > 0) publishers++;
    if (publishers >= maxPublishersPerRoom) {
      throw new ServerError(
        ErrorCode.INVALID_OPERATION,
        `room ${String(this.room.ref.id)} has ${publishers} members publishing, the limit of this server (PARLEY_MAX_PUBLISHERS_PER_ROOM) is ${maxPublishersPerRoom}; publish when one stops`,
        ROOM_LIMIT_REACHED,
      );
    }
  }

  async #createPublisher(participant: Participant, media: MediaRouter): Promise<MediaTransport> {
    const transport = await media.createTransport('publisher');
    if (participant.left) {
      transport.close();
      throw ServerError.wrongState('this session has ended');
    }
    participant.publisher = transport;
    transport.on('statechange', (state) => {
      this.room.log.debug({ user: participant.userId, state }, 'publisher transport state');
      if (state === 'failed') {
        this.room.enqueue(async () =>
          this.resetPublisher(participant, transport, 'its connection failed'),
        );
      }
    });
    return transport;
  }

  /**
   * Makes the published streams match a publish request's track map: offered m-lines the map
   * lists that are new become producers (replacing a stream's previous track of that kind),
   * tracks whose mid the map no longer lists are removed (LocalStream.removeTrack, or the
   * m-lines of an unpublished stream), and the mute flags of the others follow the map.
   */
  async #applyTrackMap(
    participant: Participant,
    transport: MediaTransport,
    declared: DeclaredTracks,
    offer: PublishOffer,
  ): Promise<Map<StreamType, Change>> {
    const changed = new Map<StreamType, Change>();
    const mark = (type: StreamType, change: Change): void => {
      const previous = changed.get(type);
      if (previous === 'added' || (previous === 'updated' && change === 'restored')) return;
      changed.set(type, change);
    };
    // Tracks the map dropped or moved, first (their producers go before new ones come).
    for (const stream of [...participant.streams.values()]) {
      for (const [kind, track] of [...stream.tracks]) {
        if (track.producer === null) {
          // Being restored on a new connection: its mid there may differ.
          const restored = declared.find((t) => t.streamType === stream.type && t.kind === kind);
          if (restored) track.mid = restored.mid;
        }
        const entry = declared.find((t) => t.mid === track.mid);
        const stillOffered =
          track.producer === null || offer.tracks.some((t) => t.mid === track.mid);
        if (!entry || entry.kind !== kind || entry.streamType !== stream.type || !stillOffered) {
          this.#closeTrack(participant, stream, kind);
          mark(stream.type, 'updated');
        }
      }
      if (stream.tracks.size === 0) {
        this.removeStream(participant, stream);
        changed.delete(stream.type);
      }
    }
    for (const offered of offer.tracks) {
      const entry = declared.find((t) => t.mid === offered.mid);
      if (!entry || entry.kind !== offered.kind) continue;
      let stream = participant.streams.get(entry.streamType);
      const current = stream?.tracks.get(offered.kind);
      if (current && current.mid === offered.mid && current.producer) {
        if (current.muted !== entry.muted) {
          current.muted = entry.muted;
          await (entry.muted ? current.producer.pause() : current.producer.resume());
          mark(entry.streamType, 'updated');
        }
        continue;
      }
      const producer = await transport.produce({
        kind: offered.kind,
        rtpParameters: offered.rtpParameters,
        paused: entry.muted,
      });
      if (!stream) {
        stream = { type: entry.streamType, tracks: new Map() };
        participant.streams.set(entry.streamType, stream);
        mark(entry.streamType, 'added');
      } else if (current && current.producer === null && current.muted === entry.muted) {
        // Restored after a lost media worker: the others saw no change.
        mark(entry.streamType, 'restored');
      } else {
        mark(entry.streamType, 'updated');
      }
      if (current) this.#closeTrack(participant, stream, offered.kind);
      stream.tracks.set(offered.kind, {
        mid: offered.mid,
        muted: entry.muted,
        producer,
        layers: offered.rtpParameters.encodings.length,
        // Only a track restored after a lost worker can lack its bit (see #checkSendRights).
        withheld: !participant.canSend(entry.streamType, offered.kind),
      });
    }
    return changed;
  }

  /** Closes one published track and the consumers fed by it. */
  #closeTrack(participant: Participant, stream: PublishedStream, kind: TrackKind): void {
    const track = stream.tracks.get(kind);
    if (!track) return;
    stream.tracks.delete(kind);
    track.producer?.close();
    this.subscriptions.dropConsumers(participant.userId, stream.type, [kind]);
  }
}
