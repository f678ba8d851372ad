/**
 * The signaling WebSocket: request/response matching with per-request timeouts, the server's
 * requests (`offer`) and notifications, a `ping` heartbeat, and reconnect-with-`resume` when
 * the socket drops. Every incoming frame goes through the protocol's decode + validate
 * functions; a frame that fails them is logged and ignored, never trusted or thrown.
 *
 * It knows the wire, not the room: the Client decides what a notification or a resumed
 * snapshot means.
 *
 * Cluster (protocol point 11): it keeps the nodes' URLs (join result `nodes`, notification
 * `nodes`), the one it is connected to first. A lost session is resumed on the current node
 * first, then on the others in turn; any live node can resume it. A dead node must cost
 * little: a refused connection moves on at once, and with more than one node the open and
 * resume timeouts are short (a frozen node accepts TCP and never answers), growing each round
 * so a slow network still gets through. The delay schedule applies between rounds.
 */
import {
  PROTOCOL_VERSION,
  ErrorCode,
  ProtocolErrorCode,
  ProtocolError,
  decodeFrame,
  encodeError,
  encodeNotification,
  encodeRequest,
  encodeResult,
  validateClientRequestResult,
  validateServerNotification,
  validateServerRequest,
  type ClientNotificationData,
  type ClientNotificationMethod,
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
  type ErrorPayload,
  type RequestEnvelope,
  type ResponseEnvelope,
  type RoomSnapshot,
  type ServerRequestResult,
} from '@parley/protocol';
import { RtcError, describe } from '../errors/RtcError.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { createLogger } from '../util/Logger.js';
import { closeSocket, openSocket, type WebSocketCtor, type WebSocketLike } from './socket.js';

export type { WebSocketCtor, WebSocketLike };

const log = createLogger('signal');

/** A validated request from the server. */
export type ServerRequest = ReturnType<typeof validateServerRequest>;
/** A validated notification from the server. */
export type ServerNotification = ReturnType<typeof validateServerNotification>;

export type ServerRequestHandler = (
  request: ServerRequest,
) => Promise<ServerRequestResult<ServerRequest['method']>>;

export interface SignalChannelOptions {
  /** `ws(s)://host:port/signal`. */
  url: string;
  /** Defaults to the global WebSocket (inject `ws` in Node). */
  WebSocketCtor?: WebSocketCtor;
  /** Answers the server's requests (`offer`). */
  onRequest?: ServerRequestHandler;
  /** Per-request timeout (default 10 s). */
  requestTimeoutMs?: number;
  /** Timeout for opening a socket (default 5 s). */
  openTimeoutMs?: number;
  /** Waits before each reconnect round (one attempt per known node); the last one repeats. */
  reconnectDelaysMs?: readonly number[];
  /**
   * Cluster (more than one node known): the open timeout of a reconnect in the first round,
   * doubled each round up to openTimeoutMs (default 1 s).
   */
  clusterOpenTimeoutMs?: number;
  /**
   * Cluster: how long a node may take to answer `resume` in the first round, doubled each
   * round up to requestTimeoutMs (default 1.5 s).
   */
  clusterResumeTimeoutMs?: number;
  /**
   * Cluster: how long a heartbeat may go unanswered (default 1 s; at least 4 round trips, at
   * most the single-server timeout).
   */
  clusterPingTimeoutMs?: number;
}

export interface SignalChannelEvents {
  notification: ServerNotification;
  /** The socket dropped after `enableResume()`; reconnect attempts have started. */
  reconnecting: { reason: string };
  /** A new socket resumed the session; the snapshot is the room as the server has it now. */
  resumed: { snapshot: RoomSnapshot };
  /** The session was resumed on another node's URL (fired just before `resumed`). */
  moved: { from: string; to: string };
  /** The channel is dead for good (resume refused or timed out, or a drop before resume was possible). */
  failed: RtcError;
}

export type SignalPhase = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

type Outcome<K extends ClientRequestMethod> =
  { ok: true; data: ClientRequestResult<K> } | { ok: false; error: ErrorPayload };

interface PendingRequest {
  method: ClientRequestMethod;
  /** The socket the request went out on; null while it waits in the outbox. */
  sentOn: WebSocketLike | null;
  settle(response: ResponseEnvelope): void;
  fail(error: RtcError): void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_OPEN_TIMEOUT_MS = 5_000;
/** Quick first retries (a blip, a server restart) then a slower pace within the session timeout. */
const DEFAULT_RECONNECT_DELAYS_MS = [200, 500, 1000, 2000, 3000, 5000];
/** Frames queued while reconnecting; candidates beyond this are stale anyway. */
const MAX_OUTBOX = 500;
/** WebSocket.OPEN; the constant is not on the `ws` constructor type we accept. */
const OPEN = 1;
/**
 * Cluster timeouts. A live node opens a WebSocket and answers `resume` in a few round trips,
 * while a frozen one (SIGSTOP: the kernel still accepts TCP) never does, so waiting the
 * single-server 5 s / 10 s for it would eat the session timeout; a second round doubles them.
 */
const DEFAULT_CLUSTER_OPEN_TIMEOUT_MS = 1000;
const DEFAULT_CLUSTER_RESUME_TIMEOUT_MS = 1500;
/** Cluster: a heartbeat unanswered this long means a frozen node (see pingTimeoutMs). */
const DEFAULT_CLUSTER_PING_TIMEOUT_MS = 1000;

/** The URL in a comparable form (host case, default port), or null when it is not ws(s). */
function nodeKey(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'ws:' || parsed.protocol === 'wss:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A first-round timeout doubled per round, never above the single-server one. */
function escalate(firstMs: number, capMs: number, round: number): number {
  return Math.min(capMs, firstMs * 2 ** Math.min(round, 10));
}

export class SignalChannel extends TypedEmitter<SignalChannelEvents> {
  /** The URL given at construction (the first socket's). */
  readonly url: string;
  private readonly WebSocketCtor: WebSocketCtor | undefined;
  private readonly onRequest: ServerRequestHandler | undefined;
  private readonly requestTimeoutMs: number;
  private readonly openTimeoutMs: number;
  private readonly reconnectDelaysMs: readonly number[];
  private readonly clusterOpenTimeoutMs: number;
  private readonly clusterResumeTimeoutMs: number;
  private readonly clusterPingTimeoutMs: number;

  /** Where a lost session may be resumed: the current node first, never empty. */
  private nodes: string[];
  private phase: SignalPhase = 'idle';
  private socket: WebSocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  /** Frames waiting for a socket (sent while reconnecting), in order. */
  private outbox: Array<{ frame: string; requestId?: number }> = [];
  private resumeInfo: { token: string; sessionTimeoutMs: number } | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private heartbeatMs = 0;
  private lastRttMs: number | undefined;
  private abortConnect: ((error: RtcError) => void) | null = null;
  private wake: (() => void) | null = null;

  constructor(options: SignalChannelOptions) {
    super();
    this.url = options.url;
    this.WebSocketCtor = options.WebSocketCtor;
    this.onRequest = options.onRequest;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    this.reconnectDelaysMs =
      options.reconnectDelaysMs && options.reconnectDelaysMs.length > 0
        ? options.reconnectDelaysMs
        : DEFAULT_RECONNECT_DELAYS_MS;
    this.clusterOpenTimeoutMs = options.clusterOpenTimeoutMs ?? DEFAULT_CLUSTER_OPEN_TIMEOUT_MS;
    this.clusterResumeTimeoutMs =
      options.clusterResumeTimeoutMs ?? DEFAULT_CLUSTER_RESUME_TIMEOUT_MS;
    this.clusterPingTimeoutMs = options.clusterPingTimeoutMs ?? DEFAULT_CLUSTER_PING_TIMEOUT_MS;
    this.nodes = [options.url];
  }

  get state(): SignalPhase {
    return this.phase;
  }

  /** The URL of the node the session is on (the last one it was opened or resumed on). */
  get currentUrl(): string {
    return this.nodes[0] ?? this.url;
  }

  /** The nodes a lost session is resumed on, in order: the current one first. */
  get nodeUrls(): readonly string[] {
    return this.nodes;
  }

  /**
   * The cluster's nodes (join result `nodes`, notification `nodes`). The current URL stays
   * first whether or not the list names it (it may be a load balancer's); entries that are
   * not ws(s) URLs and repeats are dropped. An empty list leaves the current node alone.
   */
  useNodes(urls: readonly string[]): void {
    const current = this.currentUrl;
    const secure = current.startsWith('wss:');
    const nodes = [current];
    const seen = new Set([nodeKey(current) ?? current]);
    for (const url of urls) {
      const key = nodeKey(url);
      if (key === null) {
        log.warn(`ignoring node URL ${JSON.stringify(url)}: not a ws:// or wss:// URL`);
        continue;
      }
      // The resume token is a bearer secret: never downgrade it to plain text.
      if (secure && key.startsWith('ws:')) {
        log.warn(`ignoring node URL ${url}: not wss:// while this session is on wss://`);
        continue;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      nodes.push(url);
    }
    this.nodes = nodes;
  }

  /** Round-trip time of the last answered heartbeat (ms), for network quality. */
  get rttMs(): number | undefined {
    return this.lastRttMs;
  }

  /** Opens the first socket. Rejects SIGNAL_CHANNEL_SETUP_FAILED naming the URL. */
  async open(): Promise<void> {
    if (this.phase !== 'idle')
      throw RtcError.invalidOperation('the signaling channel was already opened');
    this.phase = 'connecting';
    try {
      const ws = await this.openSocket(this.url, this.openTimeoutMs);
      if (this.phase !== 'connecting') {
        // close() ran while the socket was opening: do not resurrect the channel.
        closeSocket(ws, 1000, 'client closed');
        throw RtcError.signalSetupFailed(
          `signaling connection to ${this.url} closed by the client`,
        );
      }
      this.adopt(ws);
      this.phase = 'open';
      this.flushOutbox();
    } catch (error) {
      if (this.phase === 'connecting') this.phase = 'closed';
      throw error;
    }
  }

  /**
   * Sends a request; resolves with the validated result. A server error response rejects
   * with RtcError(code, extraCode, message) verbatim; no answer within the timeout rejects
   * SERVER_TIMEOUT; a socket lost before the answer rejects SIGNAL_CHANNEL_ERROR.
   */
  async request<K extends ClientRequestMethod>(
    method: K,
    data: ClientRequestData<K>,
    options: { timeoutMs?: number } = {},
  ): Promise<ClientRequestResult<K>> {
    const outcome = await this.send(
      method,
      data,
      options.timeoutMs ?? this.requestTimeoutMs,
      false,
    );
    if (outcome.ok) return outcome.data;
    throw RtcError.fromPayload(outcome.error);
  }

  /** Sends a notification (queued while reconnecting; dropped once closed). */
  notify<K extends ClientNotificationMethod>(method: K, data: ClientNotificationData<K>): void {
    const frame = encodeNotification(method, data);
    if (this.phase === 'open' && this.socket) this.write(this.socket, frame);
    else if (this.phase === 'connecting' || this.phase === 'reconnecting') this.enqueue({ frame });
  }

  /** After join: a dropped socket is reconnected and the session resumed with `token`. */
  enableResume(token: string, sessionTimeoutMs: number): void {
    this.resumeInfo = { token, sessionTimeoutMs };
  }

  /** The session moved to another room (switch-room): a resume names its new token. */
  replaceResumeToken(token: string): void {
    if (this.resumeInfo) this.resumeInfo = { ...this.resumeInfo, token };
  }

  /** Sends `ping` every `intervalMs`; an unanswered ping counts as a dropped socket. */
  startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeatMs = intervalMs;
    this.heartbeatTimer = setInterval(() => this.ping(), intervalMs);
  }

  /** Closes for good: no reconnect, pending requests reject, no further events. */
  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stopHeartbeat();
    this.wake?.();
    this.abortConnect?.(
      RtcError.signalSetupFailed(`signaling connection to ${this.currentUrl} closed by the client`),
    );
    const ws = this.socket;
    this.socket = null;
    if (ws) closeSocket(ws, 1000, 'client closed');
    this.failAll(RtcError.signalError('the signaling channel was closed'));
  }

  // ---- sending ------------------------------------------------------------------------

  private send<K extends ClientRequestMethod>(
    method: K,
    data: ClientRequestData<K>,
    timeoutMs: number,
    immediate: boolean,
  ): Promise<Outcome<K>> {
    if (this.phase === 'closed' || this.phase === 'idle') {
      return Promise.reject(
        RtcError.signalError(`cannot send ${method}: the signaling channel is not open`),
      );
    }
    const id = this.nextId++;
    const frame = encodeRequest(id, method, data);
    return new Promise<Outcome<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.outbox = this.outbox.filter((item) => item.requestId !== id);
        reject(
          RtcError.serverTimeout(`the server did not answer ${method} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const entry: PendingRequest = {
        method,
        sentOn: null,
        settle: (response) => {
          clearTimeout(timer);
          this.pending.delete(id);
          if (!response.ok) {
            resolve({ ok: false, error: response.error });
            return;
          }
          try {
            // Same type as ClientRequestResult<K>; TS cannot see it through the generic.
            const data = validateClientRequestResult(
              method,
              response.data,
            ) as ClientRequestResult<K>;
            resolve({ ok: true, data });
          } catch (error) {
            reject(RtcError.signalError(`invalid answer to ${method}: ${describe(error)}`));
          }
        },
        fail: (error) => {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(error);
        },
      };
      this.pending.set(id, entry);
      if (this.socket && (this.phase === 'open' || immediate)) {
        entry.sentOn = this.socket;
        this.write(this.socket, frame);
      } else {
        this.enqueue({ frame, requestId: id });
      }
    });
  }

  private enqueue(item: { frame: string; requestId?: number }): void {
    if (this.outbox.length >= MAX_OUTBOX) {
      log.warn(`dropping a queued signaling frame: more than ${MAX_OUTBOX} waiting`);
      return;
    }
    this.outbox.push(item);
  }

  private flushOutbox(): void {
    const ws = this.socket;
    if (!ws) return;
    const items = this.outbox;
    this.outbox = [];
    for (const item of items) {
      if (item.requestId !== undefined) {
        const entry = this.pending.get(item.requestId);
        if (!entry) continue; // timed out while queued
        entry.sentOn = ws;
      }
      this.write(ws, item.frame);
    }
  }

  private write(ws: WebSocketLike, frame: string): void {
    try {
      ws.send(frame);
    } catch (error) {
      // send() throws only when the socket is no longer open; its close event follows.
      log.debug('WebSocket send failed', error);
    }
  }

  // ---- receiving ----------------------------------------------------------------------

  private adopt(ws: WebSocketLike): void {
    this.socket = ws;
    ws.onmessage = (event) => {
      if (this.socket !== ws) return;
      if (typeof event.data !== 'string') {
        log.warn('ignoring a binary signaling frame');
        return;
      }
      this.onFrame(ws, event.data);
    };
    ws.onclose = (event) =>
      this.onSocketLost(
        ws,
        `closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`,
      );
    ws.onerror = () => {
      // The close event that follows says more; nothing to do here.
    };
  }

  private onFrame(ws: WebSocketLike, text: string): void {
    let envelope;
    try {
      envelope = decodeFrame(text);
    } catch (error) {
      log.warn(`ignoring an invalid signaling frame: ${describe(error)}`);
      return;
    }
    switch (envelope.type) {
      case 'res': {
        const entry = this.pending.get(envelope.id);
        if (entry && entry.sentOn === ws) entry.settle(envelope);
        else log.debug(`ignoring an answer to unknown request ${envelope.id}`);
        return;
      }
      case 'ntf': {
        let notification: ServerNotification;
        try {
          notification = validateServerNotification(envelope);
        } catch (error) {
          log.warn(`ignoring an invalid notification: ${describe(error)}`);
          return;
        }
        // The node list is the wire's business (where to resume); the Client ignores it.
        if (notification.method === 'nodes') this.useNodes(notification.data.urls);
        this.emit('notification', notification);
        return;
      }
      case 'req':
        this.onServerRequest(ws, envelope);
        return;
    }
  }

  private onServerRequest(ws: WebSocketLike, envelope: RequestEnvelope): void {
    let request: ServerRequest;
    try {
      request = validateServerRequest(envelope);
    } catch (error) {
      log.warn(`refusing an invalid server request: ${describe(error)}`);
      if (error instanceof ProtocolError) this.write(ws, encodeError(envelope.id, error.payload));
      return;
    }
    const handler = this.onRequest;
    if (!handler) {
      this.write(
        ws,
        encodeError(envelope.id, {
          code: ErrorCode.NOT_SUPPORTED,
          message: `this client does not handle ${request.method} requests`,
        }),
      );
      return;
    }
    handler(request).then(
      (result) => this.answer(ws, encodeResult(envelope.id, result)),
      (error: unknown) => {
        const rtc = RtcError.wrap(error, ErrorCode.UNKNOWN, `${request.method} failed`);
        log.warn(`answering ${request.method} with an error: ${rtc.message}`);
        this.answer(
          ws,
          encodeError(envelope.id, {
            code: rtc.code,
            ...(rtc.extraCode === undefined ? {} : { extraCode: rtc.extraCode }),
            message: rtc.message.slice(0, 2000),
          }),
        );
      },
    );
  }

  /**
   * Answers go on the socket the request came on. Request ids belong to a connection, so
   * when that socket has died the answer is dropped; the server re-offers after `resume`.
   */
  private answer(ws: WebSocketLike, frame: string): void {
    if (this.socket === ws && ws.readyState === OPEN) this.write(ws, frame);
    else log.debug('dropping an answer to a request from a closed socket');
  }

  // ---- losing and regaining the socket ------------------------------------------------

  private onSocketLost(ws: WebSocketLike, reason: string): void {
    if (this.socket !== ws) return;
    this.socket = null;
    ws.onmessage = null;
    ws.onclose = null;
    const lost = RtcError.signalError(
      `signaling connection to ${this.currentUrl} lost (${reason})`,
    );
    for (const entry of [...this.pending.values()]) {
      if (entry.sentOn === ws) entry.fail(lost);
    }
    if (this.phase === 'open' && this.resumeInfo) {
      log.warn(`signaling connection lost (${reason}); reconnecting`);
      this.phase = 'reconnecting';
      this.emit('reconnecting', { reason });
      void this.reconnectLoop(this.resumeInfo);
    } else if (this.phase === 'open') {
      this.fail(lost);
    }
    // In 'reconnecting' the loop sees its resume request fail and tries again.
  }

  private async reconnectLoop(resume: { token: string; sessionTimeoutMs: number }): Promise<void> {
    const deadline = Date.now() + resume.sessionTimeoutMs;
    let attempts = 0;
    let tried: readonly string[] = this.nodes;
    for (let round = 0; this.phase === 'reconnecting'; round++) {
      const delay =
        this.reconnectDelaysMs[Math.min(round, this.reconnectDelaysMs.length - 1)] ?? 1000;
      if (Date.now() + delay >= deadline) break;
      await this.sleep(delay);
      // One round: every known node once, the current one first, without waiting between
      // them (a dead node refuses or times out; the next one may be alive).
      tried = [...this.nodes];
      const cluster = tried.length > 1;
      for (const url of tried) {
        if (this.phase !== 'reconnecting') return;
        if (Date.now() >= deadline) break;
        attempts++;
        const done = await this.attemptResume(url, resume.token, deadline, {
          openTimeoutMs: cluster
            ? escalate(this.clusterOpenTimeoutMs, this.openTimeoutMs, round)
            : this.openTimeoutMs,
          resumeTimeoutMs: cluster
            ? escalate(this.clusterResumeTimeoutMs, this.requestTimeoutMs, round)
            : this.requestTimeoutMs,
          attempt: attempts,
        });
        if (done) return;
      }
    }
    if (this.phase === 'reconnecting') {
      const where =
        tried.length > 1 ? `any of ${tried.length} nodes (${tried.join(', ')})` : this.currentUrl;
      this.fail(
        RtcError.reconnectionFailed(
          `could not reconnect to ${where} within the session timeout of ${resume.sessionTimeoutMs} ms`,
        ),
      );
    }
  }

  /**
   * One `resume` on `url`. True when the loop is over: resumed, refused (any node answers
   * for the whole cluster, so a refusal is final) or closed; false to try the next one.
   */
  private async attemptResume(
    url: string,
    token: string,
    deadline: number,
    limits: { openTimeoutMs: number; resumeTimeoutMs: number; attempt: number },
  ): Promise<boolean> {
    const { attempt } = limits;
    let ws: WebSocketLike;
    try {
      ws = await this.openSocket(
        url,
        Math.max(1, Math.min(limits.openTimeoutMs, deadline - Date.now())),
      );
    } catch (error) {
      log.debug(`reconnect attempt ${attempt} (${url}) failed: ${describe(error)}`);
      return this.phase !== 'reconnecting';
    }
    if (this.phase !== 'reconnecting') {
      closeSocket(ws, 1000, 'client closed');
      return true;
    }
    this.adopt(ws);
    const timeoutMs = Math.max(1, Math.min(limits.resumeTimeoutMs, deadline - Date.now()));
    let outcome: Outcome<'resume'>;
    try {
      outcome = await this.send(
        'resume',
        { protocolVersion: PROTOCOL_VERSION, resumeToken: token },
        timeoutMs,
        true,
      );
    } catch (error) {
      log.debug(`resume attempt ${attempt} (${url}) failed: ${describe(error)}`);
      if (this.socket === ws) {
        this.socket = null;
        closeSocket(ws, 4000, 'resume failed');
      }
      return this.phase !== 'reconnecting';
    }
    if (this.phase !== 'reconnecting') return true;
    if (!outcome.ok && outcome.error.extraCode === ProtocolErrorCode.CLUSTER_UNAVAILABLE) {
      // That node cannot reach the cluster now: another one may resume the session.
      log.debug(`resume attempt ${attempt} (${url}): ${outcome.error.message}`);
      if (this.socket === ws) {
        this.socket = null;
        closeSocket(ws, 4000, 'resume failed');
      }
      return false;
    }
    if (!outcome.ok) {
      this.fail(
        RtcError.reconnectionFailed(
          `the server refused to resume the session: ${outcome.error.message}`,
          outcome.error.extraCode,
        ),
      );
      return true;
    }
    const from = this.currentUrl;
    this.makeCurrent(url);
    log.info(
      `signaling connection resumed after ${attempt} attempt(s)` +
        (url === from ? '' : ` on another node (${url})`),
    );
    this.phase = 'open';
    if (url !== from) this.emit('moved', { from, to: url });
    this.flushOutbox();
    this.emit('resumed', { snapshot: outcome.data });
    return true;
  }

  /** `url` is the current node; the others follow in ring order (later drops start there). */
  private makeCurrent(url: string): void {
    const at = this.nodes.indexOf(url);
    this.nodes =
      at < 0 ? [url, ...this.nodes] : [...this.nodes.slice(at), ...this.nodes.slice(0, at)];
  }

  private fail(error: RtcError): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stopHeartbeat();
    this.wake?.();
    const ws = this.socket;
    this.socket = null;
    if (ws) closeSocket(ws, 1000, 'giving up');
    this.failAll(error);
    this.emit('failed', error);
  }

  private failAll(error: RtcError): void {
    this.outbox = [];
    for (const entry of [...this.pending.values()]) entry.fail(error);
  }

  /** One socket to `url`; close() can abort it while it is opening. */
  private openSocket(url: string, timeoutMs: number): Promise<WebSocketLike> {
    const attempt = openSocket(url, this.WebSocketCtor, timeoutMs);
    this.abortConnect = attempt.abort;
    return attempt.socket.finally(() => {
      if (this.abortConnect === attempt.abort) this.abortConnect = null;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private ping(): void {
    const ws = this.socket;
    if (this.phase !== 'open' || !ws) return;
    const timeoutMs = this.pingTimeoutMs();
    const sentAt = Date.now();
    this.send('ping', {}, timeoutMs, false).then(
      () => {
        if (this.socket === ws) this.lastRttMs = Date.now() - sentAt;
      },
      (error: unknown) => {
        if (
          error instanceof RtcError &&
          error.code === ErrorCode.SERVER_TIMEOUT &&
          this.socket === ws &&
          this.phase === 'open'
        ) {
          log.warn('heartbeat unanswered; treating the signaling connection as lost');
          this.onSocketLost(ws, 'heartbeat timeout');
          closeSocket(ws, 4000, 'heartbeat timeout');
        }
      },
    );
  }

  /**
   * How long a ping may go unanswered before the socket counts as lost. Twice the interval
   * would be gentler, but a dead socket must be noticed quickly (a browser can take minutes
   * to report a half-open TCP connection on its own). In a cluster, sooner still: a frozen
   * node sends no reset, and another node can take the session; a false alarm costs only a
   * resume on the same node (tried first). Four round trips keep a slow link from tripping it.
   */
  private pingTimeoutMs(): number {
    const single = Math.max(this.heartbeatMs, 2000);
    if (this.nodes.length < 2) return single;
    return Math.min(single, Math.max(this.clusterPingTimeoutMs, 4 * (this.lastRttMs ?? 0)));
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}
