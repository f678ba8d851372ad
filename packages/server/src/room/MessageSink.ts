/**
 * What the room layer sends one participant's client, and nothing of how it gets there (after
 * livekit's MessageSink). The socket session (signal/SignalConnection) implements it; room
 * tests bring their own, so room/ never imports signal/.
 */
import type {
  ServerNotificationData,
  ServerNotificationMethod,
  ServerRequestData,
  ServerRequestMethod,
  ServerRequestResult,
} from '@parley/protocol';

export interface MessageSink {
  /** The client's address as this server sees it (operations show it). */
  readonly remoteAddress: string;
  notify<K extends ServerNotificationMethod>(method: K, data: ServerNotificationData<K>): void;
  /** Asks the client; resolves with its answer, rejects when it refuses or does not answer. */
  request<K extends ServerRequestMethod>(
    method: K,
    data: ServerRequestData<K>,
  ): Promise<ServerRequestResult<K>>;
  /** Ends the connection with a WebSocket close code (4040 kicked, 4041 timed out, …). */
  close(code: number, reason: string): void;
}
