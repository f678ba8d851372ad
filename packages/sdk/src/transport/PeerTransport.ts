/**
 * What the publisher and subscriber connections share: one RTCPeerConnection (created on
 * first use), local candidates trickled to a handler, remote candidates queued until the
 * remote description is set (addIceCandidate fails before it), and a connect wait whose
 * error says how far ICE got.
 */
import type { IceCandidateInit } from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import { createLogger, type TaggedLogger } from '../util/Logger.js';

/** How a transport reports upward without knowing the Client (see STYLE.md). */
export interface TransportHandler {
  /** A local ICE candidate to trickle to the server. */
  onLocalCandidate(candidate: IceCandidateInit): void;
  onConnectionStateChange(state: RTCPeerConnectionState): void;
}

export interface PeerTransportOptions {
  rtcConfiguration: RTCConfiguration;
  handler: TransportHandler;
}

/**
 * No STUN by default: the Parley server is reached directly and its candidates are real
 * addresses. max-bundle + rtcp-mux: one transport for every track, fewest ICE checks.
 */
export const DEFAULT_RTC_CONFIGURATION: RTCConfiguration = {
  iceServers: [],
  bundlePolicy: 'max-bundle',
  rtcpMuxPolicy: 'require',
};

export class PeerTransport {
  protected readonly log: TaggedLogger;
  protected pc: RTCPeerConnection | null = null;
  private readonly rtcConfiguration: RTCConfiguration;
  protected readonly handler: TransportHandler;
  private remoteCandidates: RTCIceCandidateInit[] = [];
  private readonly localCandidateTypes: Record<string, number> = {};
  private remoteCandidateCount = 0;
  private readonly connectWaiters = new Set<(error?: RtcError) => void>();
  private closedFlag = false;
  private readonly closeWaiters = new Set<(error: RtcError) => void>();

  constructor(
    /** 'publisher' or 'subscriber', for logs and error messages. */
    readonly name: 'publisher' | 'subscriber',
    options: PeerTransportOptions,
  ) {
    this.log = createLogger(name);
    this.rtcConfiguration = options.rtcConfiguration;
    this.handler = options.handler;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc?.connectionState ?? 'new';
  }

  /** The connection's stats (null before it exists or once closed): for the Client's stats APIs. */
  async getStats(): Promise<RTCStatsReport | null> {
    const pc = this.pc;
    if (!pc || this.closedFlag) return null;
    return pc.getStats();
  }

  /** A server candidate: applied now if the remote description is set, else queued. */
  addRemoteCandidate(candidate: IceCandidateInit): void {
    if (this.closedFlag) return;
    this.remoteCandidateCount++;
    const init: RTCIceCandidateInit = {
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? null,
      sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      ...(candidate.usernameFragment == null
        ? {}
        : { usernameFragment: candidate.usernameFragment }),
    };
    if (this.pc && this.pc.remoteDescription) this.applyCandidate(this.pc, init);
    else this.remoteCandidates.push(init);
  }

  /**
   * Resolves when the connection is 'connected'; rejects ICE_TRANSPORT_ERROR on 'failed',
   * on close, or after `timeoutMs`, with the ICE state and candidates in the message.
   */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.pc?.connectionState === 'connected') return Promise.resolve();
    if (this.closedFlag) return Promise.reject(this.transportError('was closed'));
    return new Promise((resolve, reject) => {
      const done = (error?: RtcError): void => {
        clearTimeout(timer);
        this.connectWaiters.delete(done);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => done(this.transportError(`did not connect within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.connectWaiters.add(done);
    });
  }

  /**
   * `operation` on the peer connection, rejected when the transport closes first: what was
   * pending on an RTCPeerConnection that closes never settles (a publish cut short by a kick
   * would hang for good).
   */
  protected untilClosed<T>(operation: Promise<T>): Promise<T> {
    if (this.closedFlag) return Promise.reject(this.transportError('was closed'));
    return new Promise<T>((resolve, reject) => {
      const onClose = (error: RtcError): void => reject(error);
      this.closeWaiters.add(onClose);
      operation.then(resolve, reject).finally(() => this.closeWaiters.delete(onClose));
    });
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const waiter of [...this.closeWaiters]) waiter(this.transportError('was closed'));
    this.remoteCandidates = [];
    const pc = this.pc;
    if (pc) {
      pc.onicecandidate = null;
      pc.onconnectionstatechange = null;
      pc.ontrack = null;
      pc.close();
    }
    for (const waiter of [...this.connectWaiters]) waiter(this.transportError('was closed'));
  }

  /**
   * Drops the peer connection but keeps the transport open: the next use makes a new one
   * (the server lost this connection's media and offers, or is offered, a fresh one).
   */
  protected resetPc(): void {
    const pc = this.pc;
    this.pc = null;
    this.remoteCandidates = [];
    if (!pc) return;
    pc.onicecandidate = null;
    pc.onconnectionstatechange = null;
    pc.ontrack = null;
    pc.close();
  }

  /** The peer connection, created with the handlers wired on first use. */
  protected ensurePc(): RTCPeerConnection {
    if (this.pc) return this.pc;
    if (this.closedFlag) throw RtcError.invalidOperation(`the ${this.name} connection is closed`);
    if (typeof RTCPeerConnection === 'undefined') {
      throw RtcError.notSupported('this browser has no RTCPeerConnection (WebRTC is unavailable)');
    }
    const pc = new RTCPeerConnection(this.rtcConfiguration);
    pc.onicecandidate = (event) => {
      // A null candidate only marks the end of gathering; the server does not need it.
      if (!event.candidate || event.candidate.candidate === '') return;
      const type = event.candidate.type ?? 'unknown';
      this.localCandidateTypes[type] = (this.localCandidateTypes[type] ?? 0) + 1;
      const json = event.candidate.toJSON();
      this.handler.onLocalCandidate({
        candidate: json.candidate ?? event.candidate.candidate,
        sdpMid: json.sdpMid ?? null,
        sdpMLineIndex: json.sdpMLineIndex ?? null,
        ...(json.usernameFragment == null ? {} : { usernameFragment: json.usernameFragment }),
      });
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      this.log.debug(`connection state ${state}`);
      if (state === 'connected') {
        for (const waiter of [...this.connectWaiters]) waiter();
      } else if (state === 'failed' || state === 'closed') {
        for (const waiter of [...this.connectWaiters]) waiter(this.transportError(`went ${state}`));
      }
      this.handler.onConnectionStateChange(state);
    };
    this.pc = pc;
    return pc;
  }

  /**
   * The local description, at once: the Parley server is ICE-lite and learns this side's
   * address from its connectivity checks, so waiting for host candidates to ride in the SDP
   * would only delay the connection. They still trickle (harmless, ignored by the server).
   */
  protected localSdp(): string {
    return this.pc?.localDescription?.sdp ?? '';
  }

  /** Applies the candidates that arrived before the remote description. */
  protected flushRemoteCandidates(): void {
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) return;
    const queued = this.remoteCandidates;
    this.remoteCandidates = [];
    for (const candidate of queued) this.applyCandidate(pc, candidate);
  }

  private applyCandidate(pc: RTCPeerConnection, candidate: RTCIceCandidateInit): void {
    pc.addIceCandidate(candidate).catch((error: unknown) => {
      if (!this.closedFlag) this.log.warn('a server ICE candidate was refused', error, candidate);
    });
  }

  /** ICE_TRANSPORT_ERROR saying how far the connection got (the usual culprit: blocked UDP). */
  protected transportError(what: string): RtcError {
    const pc = this.pc;
    const local = Object.entries(this.localCandidateTypes)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ');
    const state = pc
      ? `connectionState ${pc.connectionState}, iceConnectionState ${pc.iceConnectionState}, iceGatheringState ${pc.iceGatheringState}`
      : 'no peer connection yet';
    return RtcError.iceTransportError(
      `the ${this.name} connection ${what} (${state}; local candidates: ${local || 'none'}; ` +
        `server candidates trickled: ${this.remoteCandidateCount}). Check that the server's UDP ports are reachable.`,
    );
  }
}
