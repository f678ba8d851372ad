/**
 * One client WebSocket: decodes and validates every frame, matches responses to the requests
 * we sent, answers the client's requests through a handler, and tracks liveness. Knows the
 * wire, nothing about rooms.
 */
import type { WebSocket } from 'ws';
import {
  ErrorCode,
  ProtocolError,
  ProtocolErrorCode,
  decodeFrame,
  encodeError,
  encodeNotification,
  encodeRequest,
  encodeResult,
  validateClientNotification,
  validateClientRequest,
  validateServerRequestResult,
  type ClientNotificationData,
  type ClientNotificationMethod,
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
  type ErrorPayload,
  type ServerNotificationData,
  type ServerNotificationMethod,
  type ServerRequestData,
  type ServerRequestMethod,
  type ServerRequestResult,
} from '@parley/protocol';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MessageLimiter } from '../limits/MessageLimiter.js';
import type { MessageSink } from '../room/MessageSink.js';
import { SafeEmitter } from '../util/TypedEmitter.js';
import { ServerError } from '../ServerError.js';

/** After this many invalid frames the client is clearly broken or hostile: close. */
const MAX_INVALID_FRAMES = 20;
const REQUEST_TIMEOUT_MS = 10_000;

export type RequestHandler = <K extends ClientRequestMethod>(
  method: K,
  data: ClientRequestData<K>,
) => Promise<ClientRequestResult<K>>;

export type NotificationHandler = <K extends ClientNotificationMethod>(
  method: K,
  data: ClientNotificationData<K>,
) => void;

export interface SignalConnectionEvents {
  /** The socket closed; `code` is the WebSocket close code. */
  close: [code: number, reason: string];
}

interface Pending {
  method: ServerRequestMethod;
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

let connectionCounter = 0;

export class SignalConnection extends SafeEmitter<SignalConnectionEvents> implements MessageSink {
  readonly id = `c${++connectionCounter}`;
  /** Time of the last frame received (any frame is a sign of life). */
  lastSeen = Date.now();
  #nextId = 1;
  #invalidFrames = 0;
  readonly #pending = new Map<number, Pending>();
  #requestHandler: RequestHandler | null = null;
  #notificationHandler: NotificationHandler | null = null;
  #closed = false;
  #closing = false;
  /** Frames refused for rate since the last one accepted (logged once per streak). */
  #refusedStreak = 0;
  #closingForRate = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly log: Logger,
    readonly remoteAddress: string,
    /** Frames per second this client may send; none: unlimited. */
    private readonly limiter?: MessageLimiter,
  ) {
    super();
    socket.on('message', (data, isBinary) => {
      this.lastSeen = Date.now();
      if (this.limiter && !this.#withinRate(data)) return;
      if (isBinary) {
        this.#invalid(new ProtocolError(malformedPayload('binary frames are not accepted')));
        return;
      }
      this.#onFrame(data.toString());
    });
    socket.on('close', (code, reason) => this.#onClose(code, reason.toString()));
    socket.on('error', (error) => this.log.warn({ err: error, conn: this.id }, 'socket error'));
  }

  setHandlers(requests: RequestHandler, notifications: NotificationHandler): void {
    this.#requestHandler = requests;
    this.#notificationHandler = notifications;
  }

  notify<K extends ServerNotificationMethod>(method: K, data: ServerNotificationData<K>): void {
    this.#send(encodeNotification(method, data));
  }

  request<K extends ServerRequestMethod>(
    method: K,
    data: ServerRequestData<K>,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<ServerRequestResult<K>> {
    if (this.#closed) return Promise.reject(new Error('signal connection closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`client did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        method,
        resolve: resolve as (data: unknown) => void,
        reject,
        timer,
      });
      this.#send(encodeRequest(id, method, data));
    });
  }

  /** close() was called (the close handshake may still be under way). */
  get closing(): boolean {
    return this.#closing || this.#closed;
  }

  close(code = 1000, reason = ''): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.socket.close(code, reason.slice(0, 120));
    // A peer that never completes the close handshake must not keep us waiting.
    setTimeout(() => this.socket.terminate(), 2000).unref();
  }

  /** Drops the socket at once (no close handshake), e.g. after a heartbeat timeout. */
  terminate(): void {
    this.socket.terminate();
  }

  #send(frame: string): void {
    if (this.#closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(frame);
  }

  #onFrame(text: string): void {
    let envelope;
    try {
      envelope = decodeFrame(text);
    } catch (error) {
      this.#invalid(error);
      return;
    }
    switch (envelope.type) {
      case 'req': {
        let request;
        try {
          request = validateClientRequest(envelope);
        } catch (error) {
          this.#invalid(error);
          return;
        }
        void this.#handleRequest(envelope.id, request.method, request.data);
        return;
      }
      case 'ntf': {
        try {
          const notification = validateClientNotification(envelope);
          this.#notificationHandler?.(notification.method, notification.data);
        } catch (error) {
          this.#invalid(error);
        }
        return;
      }
      case 'res': {
        const pending = this.#pending.get(envelope.id);
        if (!pending) {
          // A late answer (its request timed out) or a made-up id: nothing to apply.
          this.notify('error', {
            code: ErrorCode.INVALID_OPERATION,
            extraCode: ProtocolErrorCode.WRONG_STATE,
            message: `answer to request ${envelope.id} ignored: no request ${envelope.id} of this connection is waiting for one (it timed out, or was never sent)`,
          });
          return;
        }
        this.#pending.delete(envelope.id);
        clearTimeout(pending.timer);
        if (!envelope.ok) {
          pending.reject(new Error(`client refused ${pending.method}: ${envelope.error.message}`));
          return;
        }
        try {
          pending.resolve(validateServerRequestResult(pending.method, envelope.data));
        } catch (error) {
          pending.reject(error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
    }
  }

  async #handleRequest(
    id: number,
    method: ClientRequestMethod,
    data: ClientRequestData<ClientRequestMethod>,
  ): Promise<void> {
    const handler = this.#requestHandler;
    if (!handler) {
      this.#send(encodeError(id, wrongState(`${method} is not accepted before join`)));
      return;
    }
    try {
      const result = await handler(method, data as never);
      this.#send(encodeResult(id, result));
    } catch (error) {
      if (error instanceof ServerError) {
        this.log.info({ conn: this.id, method, error: error.payload }, 'request refused');
        this.#send(encodeError(id, error.payload));
      } else {
        // The client gets a reference, never the exception's text (it can name internals);
        // the log has the whole error under the same reference.
        const ref = `${this.id}-${randomBytes(4).toString('hex')}`;
        this.log.error({ conn: this.id, ref, method, err: error }, 'request failed');
        this.#send(
          encodeError(id, {
            code: ErrorCode.UNKNOWN,
            extraCode: ProtocolErrorCode.INTERNAL,
            message: `the server failed to handle ${method} (internal error, reference ${ref}); retry, and report the reference if it persists`,
          }),
        );
      }
    }
  }

  /**
   * Applies the message rate limit to a frame: true to handle it. A refused request is
   * answered with RATE_LIMITED, other refused frames with an `error` notification; a client
   * that keeps going over the limit is closed with 1008.
   */
  #withinRate(data: unknown): boolean {
    const verdict = this.limiter!.admit();
    if (verdict === 'ok') {
      this.#refusedStreak = 0;
      return true;
    }
    const limit = `${this.limiter!.perSecond} messages per second`;
    if (verdict === 'close') {
      if (this.#closingForRate) return false;
      this.#closingForRate = true;
      this.log.warn({ conn: this.id, ip: this.remoteAddress }, `closing: kept exceeding ${limit}`);
      this.close(1008, `kept exceeding the limit of ${limit}`);
      return false;
    }
    if (this.#refusedStreak++ === 0) {
      this.log.warn({ conn: this.id, ip: this.remoteAddress }, `over the limit of ${limit}`);
    }
    const payload: ErrorPayload = {
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ProtocolErrorCode.RATE_LIMITED,
      message: `too many messages: the limit is ${limit}; this one was dropped`,
    };
    const requestId = requestIdOf(data);
    this.#send(
      requestId === undefined
        ? encodeNotification('error', payload)
        : encodeError(requestId, payload),
    );
    return false;
  }

  #invalid(error: unknown): void {
    this.#invalidFrames++;
    const payload =
      error instanceof ProtocolError ? error.payload : malformedPayload(String(error));
    this.log.warn({ conn: this.id, error: payload }, 'invalid frame');
    if (error instanceof ProtocolError && error.requestId !== undefined) {
      this.#send(encodeError(error.requestId, payload));
    }
    if (this.#invalidFrames > MAX_INVALID_FRAMES) {
      this.close(1008, 'too many invalid messages');
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('signal connection closed'));
    }
    this.#pending.clear();
    this.safeEmit('close', code, reason);
  }
}

/** The id of a request frame, read without parsing it (the frame is refused unparsed). */
function requestIdOf(data: unknown): number | undefined {
  const head = Buffer.isBuffer(data) ? data.subarray(0, 256).toString('latin1') : '';
  if (!/"type"\s*:\s*"req"/.test(head)) return undefined;
  const id = /^\{[^{}]{0,200}?"id"\s*:\s*(\d{1,15})/.exec(head)?.[1];
  return id === undefined ? undefined : Number(id);
}

function malformedPayload(message: string): ErrorPayload {
  return {
    code: ErrorCode.INVALID_PARAMETER,
    extraCode: ProtocolErrorCode.MALFORMED_MESSAGE,
    message,
  };
}

function wrongState(message: string): ErrorPayload {
  return { code: ErrorCode.INVALID_OPERATION, extraCode: ProtocolErrorCode.WRONG_STATE, message };
}
