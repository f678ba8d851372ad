/**
 * A participant's sink while its `switch-room` answer has not gone out yet: what the new room
 * sends meanwhile waits, so the client reads the new room's snapshot before any of its news.
 */
import type {
  ServerNotificationData,
  ServerNotificationMethod,
  ServerRequestData,
  ServerRequestMethod,
  ServerRequestResult,
} from '@parley/protocol';
import type { MessageSink } from '../room/MessageSink.js';

export class HeldSink implements MessageSink {
  readonly #held: Array<(sink: MessageSink) => void> = [];
  #target: MessageSink | null = null;

  constructor(readonly remoteAddress: string) {}

  notify<K extends ServerNotificationMethod>(method: K, data: ServerNotificationData<K>): void {
    if (this.#target) this.#target.notify(method, data);
    else this.#held.push((sink) => sink.notify(method, data));
  }

  request<K extends ServerRequestMethod>(
    method: K,
    data: ServerRequestData<K>,
  ): Promise<ServerRequestResult<K>> {
    if (this.#target) return this.#target.request(method, data);
    return new Promise((resolve, reject) => {
      this.#held.push((sink) => sink.request(method, data).then(resolve, reject));
    });
  }

  /** Only the room closes a sink: the socket is the client's, `release` hands it over. */
  close(code: number, reason: string): void {
    this.#target?.close(code, reason);
  }

  /** Sends what waited, in order, to `sink`, and everything later straight there. */
  release(sink: MessageSink): void {
    this.#target = sink;
    for (const send of this.#held.splice(0)) send(sink);
  }
}
