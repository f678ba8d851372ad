/**
 * Who receives what in one room: each participant's subscriptions, the consumers that carry
 * them on its subscriber connection (transport/SubscriberTransport), and what it has been
 * told of the others' streams (stream-added/-updated/-removed). Runs inside the room's queue:
 * every method is called by the Room, one operation at a time.
 */
import {
  ErrorCode,
  type ClientRequestData,
  type RemoteVideoType,
  type StreamInfo,
  type StreamType,
  type TrackKind,
  type VideoLayer,
} from '@parley/protocol';
import type { MediaConsumer } from '../media/MediaEngine.js';
import { ServerError } from '../ServerError.js';
import { SubscriberTransport } from '../transport/SubscriberTransport.js';
import { LayerSelector } from './LayerSelector.js';
import { SharedReads } from './SharedReads.js';
import {
  subscriptionKey,
  type Participant,
  type PublishedStream,
  type Subscription,
} from './Participant.js';
import type { RoomContext } from './RoomContext.js';

const KINDS: readonly TrackKind[] = ['audio', 'video'];

/** Simulcast layer ceiling for v4's stream type: the small stream is layer 0 (smallest first). */
function preferredLayers(type: RemoteVideoType, layers: number): { spatial: number } {
  return { spatial: type === 'small' ? 0 : Math.max(0, layers - 1) };
}

const sameInfo = (a: StreamInfo, b: StreamInfo): boolean =>
  a.hasAudio === b.hasAudio &&
  a.hasVideo === b.hasVideo &&
  a.audioMuted === b.audioMuted &&
  a.videoMuted === b.videoMuted &&
  a.hasSmall === b.hasSmall;

export class Subscriptions {
  /** Simulcast video consumers' layer selectors (see LayerSelector); gone with their consumer. */
  readonly #selectors = new WeakMap<MediaConsumer, LayerSelector>();
  readonly #statsOnce = new SharedReads(500);

  constructor(private readonly room: RoomContext) {}

  subscribe(participant: Participant, data: ClientRequestData<'subscribe'>): Promise<void> {
    const stream = this.#streamFor(
      participant,
      data.userId,
      data.streamType,
      'cannot subscribe to your own stream',
    );
    const sub = this.#subscription(participant, data.userId, data.streamType);
    sub.audio = data.audio;
    sub.video = data.video;
    return this.#sync(participant, sub, stream);
  }

  unsubscribe(participant: Participant, data: ClientRequestData<'unsubscribe'>): void {
    const key = subscriptionKey(data.userId, data.streamType);
    const sub = participant.subscriptions.get(key);
    if (!sub) {
      // Unsubscribing from a stream it knows but no longer receives is harmless; naming one
      // it was never told of (another room's, a made-up one) is refused.
      if (participant.announced.has(key)) return;
      throw new ServerError(
        ErrorCode.REMOTE_STREAM_NOT_EXIST,
        `user ${data.userId} publishes no ${data.streamType} stream in this room`,
      );
    }
    participant.subscriptions.delete(key);
    this.#dropSubscriptionConsumers(participant, sub, KINDS);
  }

  /**
   * Big or small video of a (dual stream) publisher. Kept for the subscription, also before it
   * exists (v4 lets apps choose before subscribe()); a publisher without a small stream is
   * sent its only one whatever is asked.
   */
  async setRemoteVideoType(
    participant: Participant,
    data: ClientRequestData<'remote-video-type'>,
  ): Promise<void> {
    const stream = this.#streamFor(
      participant,
      data.userId,
      data.streamType,
      'cannot choose your own stream',
    );
    const key = subscriptionKey(data.userId, data.streamType);
    participant.videoTypes.set(key, data.type);
    const consumer = participant.subscriptions.get(key)?.consumers.get('video');
    const track = stream.tracks.get('video');
    if (consumer && !consumer.closed && track) {
      const layers = preferredLayers(data.type, track.layers);
      const selector = this.#selectors.get(consumer);
      await (selector ? selector.setCeiling(layers.spatial) : consumer.setPreferredLayers(layers));
    }
    this.room.log.debug({ user: participant.userId, key, type: data.type }, 'remote video type');
  }

  /** Subscribes to everything visible in the room (autoSubscribe at join). */
  async subscribeToAll(participant: Participant): Promise<void> {
    for (const other of this.room.participants.values()) {
      if (other === participant || !other.visible) continue;
      for (const stream of other.streams.values()) {
        if (other.viewFor(participant, stream.type) === null) continue;
        const sub = this.#subscription(participant, other.userId, stream.type);
        await this.#sync(participant, sub, stream);
      }
    }
  }

  /**
   * The participant's client was cut off (its socket resumed): its path lost packets both ways
   * for seconds, and the keyframe requests made meanwhile were lost with them (the browsers
   * then wait for their next request, up to a second or more). Asks a keyframe of every video
   * it receives and, for its viewers, of every video it sends, now.
   */
  requestKeyframes(participant: Participant): void {
    const consumers: MediaConsumer[] = [];
    for (const sub of participant.subscriptions.values()) {
      const video = sub.consumers.get('video');
      if (video) consumers.push(video);
    }
    for (const viewer of this.room.participants.values()) {
      if (viewer === participant) continue;
      for (const type of participant.streams.keys()) {
        const video = viewer.subscriptions
          .get(subscriptionKey(participant.userId, type))
          ?.consumers.get('video');
        if (video) consumers.push(video);
      }
    }
    for (const consumer of consumers) {
      if (consumer.closed) continue;
      consumer.requestKeyframe().catch((error: unknown) => {
        this.room.log.debug({ err: error }, 'keyframe request after a resume failed');
      });
    }
  }

  /** The layer the participant gets of each dual stream video it receives, and why. */
  videoLayers(participant: Participant): VideoLayer[] {
    const list: VideoLayer[] = [];
    for (const sub of participant.subscriptions.values()) {
      const consumer = sub.consumers.get('video');
      const selector = consumer && !consumer.closed ? this.#selectors.get(consumer) : undefined;
      if (!selector) continue;
      const { layer, reason } = selector.state;
      list.push({ userId: sub.userId, streamType: sub.streamType, layer, reason });
    }
    return list;
  }

  /**
   * Restarts ICE on the participant's subscriber connection and offers it again with the new
   * credentials (the client lost its path). Nothing else changes.
   */
  async restartIce(participant: Participant): Promise<void> {
    const subscriber = participant.subscriber;
    if (!subscriber || subscriber.closed) {
      throw ServerError.wrongState('there is no subscriber connection to restart');
    }
    await subscriber.transport.restartIce();
    this.room.log.info({ user: participant.userId }, 'subscriber ICE restarted');
    this.room.renegotiate(participant);
  }

  /**
   * After a stream of a publisher was added or changed: bring every other participant's view
   * of it and subscription to it up to date. `force`: tell them stream-updated even when their
   * view did not change (a track was replaced).
   */
  async refreshViewers(
    publisher: Participant,
    streamType: StreamType,
    force = false,
  ): Promise<void> {
    for (const viewer of [...this.room.participants.values()]) {
      // Members of other nodes (mirrors) view on their own node, never here.
      if (viewer === publisher || viewer.left || !viewer.local) continue;
      await this.syncViewer(viewer, publisher, streamType, force);
    }
  }

  /**
   * Makes what `viewer` was told of one stream match what it may now know (its privileges,
   * the publisher's withheld tracks and role): stream-added, -updated or -removed as needed,
   * a subscription dropped with the stream or made for it (autoSubscribe), and its consumers.
   */
  async syncViewer(
    viewer: Participant,
    publisher: Participant,
    streamType: StreamType,
    force = false,
  ): Promise<void> {
    if (!viewer.local) return;
    const key = subscriptionKey(publisher.userId, streamType);
    const view = publisher.visible ? publisher.viewFor(viewer, streamType) : null;
    const before = viewer.announced.get(key);
    if (view === null) {
      this.#forget(viewer, publisher.userId, streamType);
      return;
    }
    viewer.announced.set(key, view);
    if (!before) viewer.sink?.notify('stream-added', { stream: view });
    else if (force || !sameInfo(before, view))
      viewer.sink?.notify('stream-updated', { stream: view });
    let sub = viewer.subscriptions.get(key);
    if (!sub && !before && viewer.autoSubscribe) {
      sub = this.#subscription(viewer, publisher.userId, streamType);
    }
    const stream = publisher.streams.get(streamType);
    if (!sub || !stream) return;
    try {
      await this.#sync(viewer, sub, stream);
    } catch (error) {
      this.room.log.warn({ err: error, user: viewer.userId }, 'subscription update failed');
    }
  }

  /**
   * A publisher's stream is gone: the subscriptions to it go, and those told of it (only
   * them: the others never knew it, their privileges hid it) get stream-removed.
   */
  streamRemoved(publisher: Participant, streamType: StreamType): void {
    for (const other of this.room.participants.values()) {
      this.#forget(other, publisher.userId, streamType);
    }
  }

  /** Removes the consumers of a publisher's stream from every subscriber. */
  dropConsumers(userId: string, streamType: StreamType, kinds: readonly TrackKind[]): void {
    const key = subscriptionKey(userId, streamType);
    for (const other of this.room.participants.values()) {
      const sub = other.subscriptions.get(key);
      if (sub) this.#dropSubscriptionConsumers(other, sub, kinds);
    }
  }

  /** A participant leaves: its consumers and subscriber connection go. */
  close(participant: Participant): void {
    for (const sub of participant.subscriptions.values()) {
      for (const consumer of sub.consumers.values()) consumer.close();
    }
    participant.subscriptions.clear();
    participant.subscriber?.close();
    participant.subscriber = null;
  }

  /** The subscriber connection is gone: a new one carries the same subscriptions. */
  async resetSubscriber(participant: Participant, subscriber: SubscriberTransport): Promise<void> {
    if (participant.subscriber !== subscriber || participant.left) return;
    participant.subscriber = null;
    subscriber.close();
    for (const sub of participant.subscriptions.values()) sub.consumers.clear();
    await this.#ensureSubscriber(participant, true);
    for (const sub of participant.subscriptions.values()) {
      const stream = this.room.participants.get(sub.userId)?.streams.get(sub.streamType);
      if (stream) await this.#sync(participant, sub, stream);
    }
    this.room.renegotiate(participant);
  }

  /** A session resumed on this node: a new subscriber connection carries its subscriptions. */
  async rebuild(participant: Participant): Promise<void> {
    if (participant.subscriptions.size === 0 || participant.left) return;
    await this.#ensureSubscriber(participant, true);
    for (const sub of participant.subscriptions.values()) {
      const stream = this.room.participants.get(sub.userId)?.streams.get(sub.streamType);
      if (stream) await this.#sync(participant, sub, stream);
    }
    this.room.renegotiate(participant);
  }

  /**
   * `viewer` may no longer know a stream (gone, or hidden from it): stream-removed if it was
   * told of it, and its subscription goes with any consumers left.
   */
  #forget(viewer: Participant, userId: string, streamType: StreamType): void {
    const key = subscriptionKey(userId, streamType);
    if (viewer.announced.delete(key)) {
      viewer.sink?.notify('stream-removed', { userId, streamType });
    }
    const sub = viewer.subscriptions.get(key);
    if (sub) {
      viewer.subscriptions.delete(key);
      this.#dropSubscriptionConsumers(viewer, sub, KINDS);
    }
  }

  #dropSubscriptionConsumers(
    participant: Participant,
    sub: Subscription,
    kinds: readonly TrackKind[],
  ): void {
    for (const kind of kinds) {
      const consumer = sub.consumers.get(kind);
      if (!consumer) continue;
      sub.consumers.delete(kind);
      if (participant.subscriber?.remove(consumer)) this.room.renegotiate(participant);
      else consumer.close();
    }
  }

  /**
   * Another member's stream as `viewer` may see it: a stream it may receive nothing of does
   * not exist for it. Throws INVALID_PARAMETER (`self`) for its own, REMOTE_STREAM_NOT_EXIST
   * for what it cannot see.
   */
  #streamFor(
    viewer: Participant,
    userId: string,
    streamType: StreamType,
    self: string,
  ): PublishedStream {
    const target = this.room.participants.get(userId);
    if (target === viewer) throw ServerError.invalid(self);
    const visible = target?.visible && target.viewFor(viewer, streamType) !== null;
    const stream = visible ? target.streams.get(streamType) : undefined;
    if (!target || !stream) {
      throw new ServerError(
        ErrorCode.REMOTE_STREAM_NOT_EXIST,
        `user ${userId} publishes no ${streamType} stream in this room`,
      );
    }
    return stream;
  }

  #subscription(participant: Participant, userId: string, streamType: StreamType): Subscription {
    const key = subscriptionKey(userId, streamType);
    let sub = participant.subscriptions.get(key);
    if (!sub) {
      sub = { userId, streamType, audio: true, video: true, consumers: new Map() };
      participant.subscriptions.set(key, sub);
    }
    return sub;
  }

  /** Makes the consumers of a subscription match what it asks for and what is published. */
  async #sync(participant: Participant, sub: Subscription, stream: PublishedStream): Promise<void> {
    for (const kind of KINDS) {
      const track = stream.tracks.get(kind);
      const producer = track?.producer ?? null;
      // Nothing is forwarded of a withheld track, nor of a kind the subscriber may not receive.
      const wanted =
        producer !== null &&
        !track!.withheld &&
        participant.canReceive(sub.streamType, kind) &&
        (kind === 'audio' ? sub.audio : sub.video);
      const current = sub.consumers.get(kind);
      if (current && (!wanted || current.producerId !== producer?.id || current.closed)) {
        this.#dropSubscriptionConsumers(participant, sub, [kind]);
      }
      if (!wanted || !producer || sub.consumers.has(kind)) continue;
      const subscriber = await this.#ensureSubscriber(participant);
      const media = await this.room.media();
      const consumer = await subscriber.transport.consume({
        producerId: producer.id,
        rtpCapabilities: media.rtpCapabilities,
        paused: true,
      });
      const layers = stream.tracks.get(kind)?.layers ?? 1;
      const type = participant.videoTypes.get(subscriptionKey(sub.userId, sub.streamType));
      // The engine sends the best layer up to this one that the downlink carries (BWE).
      if (kind === 'video' && layers > 1) {
        const ceiling = preferredLayers(type ?? 'big', layers);
        if (type === 'small') {
          try {
            await consumer.setPreferredLayers(ceiling);
          } catch (error) {
            consumer.close();
            throw error;
          }
        }
        // The publisher left while the layers were set: the consumer went with it.
        if (consumer.closed) continue;
        this.#selectors.set(
          consumer,
          new LayerSelector(
            consumer,
            ceiling.spatial,
            layers - 1,
            {
              floor: (bps, ms) => subscriber.transport.tryBitrate(bps, ms),
              probe: () => subscriber.transport.probe(),
              read: async () => {
                // The transport's and the producer's figures are read once a tick for all the
                // selectors that share them (one publisher, many viewers), not once each.
                const [downlink, stream, sent] = await Promise.all([
                  this.#statsOnce.get(subscriber.transport, () => subscriber.transport.stats()),
                  this.#statsOnce.get(producer, () => producer.stats()),
                  consumer.stats(),
                ]);
                return {
                  estimateBps: downlink.availableOutgoingBitrate ?? null,
                  streamBps: stream.bitrate,
                  packetsSent: sent.packets,
                  packetsLost: sent.packetsLost,
                  rttMs: sent.roundTripTime ?? null,
                };
              },
            },
            {
              onError: (error) => this.room.log.warn({ err: error }, 'layer selector'),
              onReading: (reading, short, shortfall) =>
                this.room.log.debug(
                  { user: participant.userId, of: sub.userId, ...reading, short, shortfall },
                  'video layer reading',
                ),
              onChange: (state) =>
                this.room.log.info(
                  { user: participant.userId, of: sub.userId, ...state },
                  'video layer',
                ),
            },
          ),
        );
      }
      sub.consumers.set(kind, consumer);
      subscriber.add(consumer, { kind, userId: sub.userId, streamType: sub.streamType });
      this.room.renegotiate(participant);
    }
  }

  async #ensureSubscriber(
    participant: Participant,
    replacing = false,
  ): Promise<SubscriberTransport> {
    this.room.assertIn(participant);
    if (participant.subscriber) return participant.subscriber;
    const media = await this.room.media();
    const subscriber = await SubscriberTransport.create(
      media,
      participant.sessionId,
      async (offer) => {
        const sink = participant.sink;
        if (!sink) throw new Error('no signal connection to send the offer on');
        return (await sink.request('offer', offer)).sdp;
      },
      replacing,
    );
    if (participant.left) {
      subscriber.close();
      throw ServerError.wrongState('this session has ended');
    }
    participant.subscriber = subscriber;
    subscriber.transport.on('statechange', (state) => {
      this.room.log.debug({ user: participant.userId, state }, 'subscriber transport state');
      if (state === 'failed') {
        this.room.enqueue(() => this.resetSubscriber(participant, subscriber));
      }
    });
    return subscriber;
  }
}
