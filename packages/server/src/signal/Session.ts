/**
 * A thin adapter between one participant's socket and its room: requests become room
 * operations (the room serializes them), socket drops leave the participant waiting for a
 * resume. Survives socket drops: a new SignalConnection is attached by `resume`.
 */
import {
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
} from '@parley/protocol';
import type { Logger } from 'pino';
import { ServerError } from '../ServerError.js';
import type { SignalConnection } from './SignalConnection.js';
import type { Participant } from '../room/Participant.js';
import type { LeaveReason, Room } from '../room/Room.js';
import { CustomMessageRelay } from '../room/CustomMessageRelay.js';
import { SeiRelay } from '../room/SeiRelay.js';
import type { RoomMediaOut } from '../mediaOut/RoomMediaOut.js';

type Handlers = { [M in ClientRequestMethod]?: (data: ClientRequestData<M>) => Promise<unknown> };

export class Session {
  readonly #log: Logger;
  readonly #sei = new SeiRelay();
  readonly #custom = new CustomMessageRelay();
  readonly #handlers: Handlers;
  #signal: SignalConnection | null = null;

  constructor(
    readonly room: Room,
    readonly participant: Participant,
    log: Logger,
    /** The room's media out (mixing, CDN relay), made when first asked. */
    mediaOut: () => RoomMediaOut,
    /** Verifies a new privateMapKey for this user and room: its privilege bits, or throws. */
    verifyPrivateMapKey: (privateMapKey: string) => number,
    /** `switch-room`: moves this session's user to another room (ParleyServer does it). */
    switchRoom: (
      session: Session,
      data: ClientRequestData<'switch-room'>,
    ) => Promise<ClientRequestResult<'switch-room'>>,
  ) {
    this.#log = log.child({ room: room.key, user: participant.userId });
    const p = participant;
    this.#handlers = {
      publish: (d) => room.publish(p, d),
      unpublish: (d) => room.unpublish(p, d.streamType),
      subscribe: (d) => room.subscribe(p, d),
      unsubscribe: (d) => room.unsubscribe(p, d),
      mute: (d) => room.mute(p, d),
      'remote-video-type': (d) => room.setRemoteVideoType(p, d),
      'video-layers': async () => ({ layers: room.videoLayers(p) }),
      'switch-role': (d) => room.switchRole(p, d.role),
      'update-private-map-key': async (d) =>
        room.updatePrivilege(p, verifyPrivateMapKey(d.privateMapKey)),
      sei: async (d) => this.#sei.relay(room, p, d),
      'custom-message': async (d) => this.#custom.relay(room, p, d),
      'restart-ice': () => room.restartSubscriberIce(p),
      'start-mix-transcode': (d) => mediaOut().startMix(p, d),
      'stop-mix-transcode': async () => {
        await mediaOut().stopMix(p);
        return {};
      },
      'start-publish-cdn': (d) => mediaOut().startRelay(p, d),
      'stop-publish-cdn': async (d) => {
        await mediaOut().stopRelay(p, d.slot);
        return {};
      },
      'switch-room': (d) => switchRoom(this, d),
      ping: async () => ({}),
      leave: async () => {
        await room.leave(p, 'leave');
        return {};
      },
    };
  }

  get closed(): boolean {
    return this.participant.left;
  }

  /** Binds a socket to this session (at join, and again at each resume). */
  attach(signal: SignalConnection): void {
    const { participant } = this;
    this.#signal = signal;
    const previous = participant.sink;
    participant.sink = signal;
    participant.disconnectedAt = null;
    if (previous && previous !== signal) previous.close(4000, 'replaced by a resumed connection');
    signal.setHandlers(
      (method, data) => this.handleRequest(method, data),
      // ICE-lite: the server learns the client's address from its checks, not its candidates.
      () => undefined,
    );
    signal.on('close', (code) => {
      if (participant.sink !== signal || participant.left) return;
      participant.sink = null;
      participant.disconnectedAt = signal.lastSeen;
      // Even a clean close (1001) may be a crashed browser whose network process shut the
      // socket: only an explicit `leave` removes at once; otherwise wait for a resume.
      this.#log.info({ code }, 'socket dropped; waiting for resume');
    });
  }

  /** The socket last attached (it may have closed since). */
  get signal(): SignalConnection | null {
    return this.#signal;
  }

  handleRequest<K extends ClientRequestMethod>(
    method: K,
    data: ClientRequestData<K>,
  ): Promise<ClientRequestResult<K>> {
    if (this.participant.left)
      return Promise.reject(ServerError.wrongState('this session has ended'));
    const handler = this.#handlers[method] as
      ((d: ClientRequestData<K>) => Promise<unknown>) | undefined;
    if (!handler) {
      return Promise.reject(ServerError.wrongState(`${method} is not accepted after join`));
    }
    return handler(data) as Promise<ClientRequestResult<K>>;
  }

  leave(reason: LeaveReason): Promise<void> {
    return this.room.leave(this.participant, reason);
  }

  resumed(): void {
    this.room.resumed(this.participant);
  }
}
