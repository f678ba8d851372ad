/**
 * Keeps a joined session's connections alive and says how connected it is. The signaling
 * channel recovers by itself (SignalChannel's resume); for the two peer connections this
 * restarts ICE when one fails, stays disconnected past a grace period, or the network changes,
 * and retries while it stays broken. The client is RECONNECTING while the signaling channel
 * or a connection in use is broken, CONNECTED otherwise; a connection broken for `giveUpMs`
 * (restarts included) is given up: the Client then reports UPLINK/DOWNLINK_RECONNECTION_FAILED
 * and DISCONNECTED.
 *
 * No browser objects here (the Client wires the events), so the rules are unit tested.
 */
export type PeerName = 'publisher' | 'subscriber';

export interface RecoveryActions {
  /** Restarts ICE on `pc` (the publisher re-offers, the server re-offers the subscriber). */
  restart(pc: PeerName): Promise<void>;
  stateChanged(state: 'CONNECTED' | 'RECONNECTING'): void;
  /** `pc` stayed broken for giveUpMs. */
  gaveUp(pc: PeerName): void;
}

export interface RecoveryClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RecoveryOptions {
  /** How long a connection may stay broken before it is given up. */
  giveUpMs: number;
  /** How long 'disconnected' may last before a restart (it often heals by itself). */
  disconnectedGraceMs?: number;
  /** Time between restarts of a connection that stays broken. */
  retryMs?: number;
  clock?: RecoveryClock;
  log?: (message: string) => void;
}

/** Default time a connection may stay broken before DISCONNECTED (createClient reconnectTimeoutMs). */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 30_000;
const DISCONNECTED_GRACE_MS = 2000;
const RETRY_MS = 5000;

const systemClock: RecoveryClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface PeerWatch {
  state: RTCPeerConnectionState;
  /** When it last went from connected to broken; null while healthy. */
  brokenSince: number | null;
  /** A restart waits for the signaling channel. */
  restartPending: boolean;
  timers: unknown[];
  /** The one pending retry of a restart. */
  retry: unknown;
}

export class ConnectionRecovery {
  readonly #actions: RecoveryActions;
  readonly #clock: RecoveryClock;
  readonly #giveUpMs: number;
  readonly #graceMs: number;
  readonly #retryMs: number;
  readonly #log: (message: string) => void;
  readonly #peers = new Map<PeerName, PeerWatch>();
  #signalOpen = true;
  #state: 'CONNECTED' | 'RECONNECTING' = 'CONNECTED';
  #closed = false;

  constructor(actions: RecoveryActions, options: RecoveryOptions) {
    this.#actions = actions;
    this.#clock = options.clock ?? systemClock;
    this.#giveUpMs = options.giveUpMs;
    this.#graceMs = options.disconnectedGraceMs ?? DISCONNECTED_GRACE_MS;
    this.#retryMs = options.retryMs ?? RETRY_MS;
    this.#log = options.log ?? (() => undefined);
  }

  get state(): 'CONNECTED' | 'RECONNECTING' {
    return this.#state;
  }

  /**
   * The signaling channel dropped (false) or is open again (true). Open again: every
   * connection still broken restarts now, not only those whose restart waited for it. A
   * restart sent while the dead socket still looked open was lost with it (the peer then
   * checks with credentials the server never got), and its retry would come only after
   * `retryMs`: after a 5 s cut that was 1 s of the 3 s the call may take to come back.
   */
  signal(open: boolean): void {
    if (this.#closed) return;
    this.#signalOpen = open;
    if (open) {
      for (const [name, peer] of this.#peers) {
        if (peer.restartPending || peer.brokenSince !== null) this.#restart(name);
      }
    }
    this.#update();
  }

  /** A peer connection's connectionState changed. */
  peerState(name: PeerName, state: RTCPeerConnectionState): void {
    if (this.#closed) return;
    if (state === 'closed') {
      this.forget(name);
      return;
    }
    const peer = this.#peers.get(name) ?? {
      state,
      brokenSince: null,
      restartPending: false,
      timers: [],
      retry: null,
    };
    this.#peers.set(name, peer);
    peer.state = state;
    if (state === 'connected') {
      if (peer.brokenSince !== null) {
        this.#log(`${name} connection back after ${this.#clock.now() - peer.brokenSince} ms`);
      }
      this.#heal(peer);
    } else if (state === 'disconnected' || state === 'failed') {
      if (peer.brokenSince === null) this.#broke(name, peer);
      if (state === 'failed') this.#restart(name);
    }
    this.#update();
  }

  /** The connection is no longer in use (unpublished, closed, replaced). */
  forget(name: PeerName): void {
    const peer = this.#peers.get(name);
    if (!peer) return;
    this.#clearTimers(peer);
    this.#peers.delete(name);
    this.#update();
  }

  /** The device's network changed (another interface, address or link): restart every path. */
  networkChanged(): void {
    if (this.#closed) return;
    for (const [name, peer] of this.#peers) {
      if (peer.state !== 'new') this.#restart(name);
    }
  }

  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) this.#clearTimers(peer);
    this.#peers.clear();
  }

  #broke(name: PeerName, peer: PeerWatch): void {
    peer.brokenSince = this.#clock.now();
    this.#log(`${name} connection ${peer.state}; restarting ICE unless it heals`);
    peer.timers.push(
      this.#clock.setTimeout(() => {
        if (peer.brokenSince !== null && peer.state !== 'failed') this.#restart(name);
      }, this.#graceMs),
      this.#clock.setTimeout(() => {
        if (this.#closed || peer.brokenSince === null || this.#peers.get(name) !== peer) return;
        this.#clearTimers(peer);
        this.#peers.delete(name);
        this.#log(`${name} connection still broken after ${this.#giveUpMs} ms; giving up`);
        this.#actions.gaveUp(name);
      }, this.#giveUpMs),
    );
  }

  #heal(peer: PeerWatch): void {
    peer.brokenSince = null;
    peer.restartPending = false;
    this.#clearTimers(peer);
  }

  #restart(name: PeerName): void {
    const peer = this.#peers.get(name);
    if (!peer || this.#closed) return;
    if (!this.#signalOpen) {
      peer.restartPending = true;
      return;
    }
    peer.restartPending = false;
    this.#log(`restarting ICE on the ${name} connection`);
    this.#actions.restart(name).catch((error: unknown) => {
      this.#log(`ICE restart of the ${name} connection failed: ${String(error)}`);
    });
    // Still broken after a while: again (the answer or the checks may have been lost).
    if (peer.retry !== null) this.#clock.clearTimeout(peer.retry);
    peer.retry = this.#clock.setTimeout(() => {
      peer.retry = null;
      if (peer.brokenSince !== null && this.#peers.get(name) === peer) this.#restart(name);
    }, this.#retryMs);
  }

  #clearTimers(peer: PeerWatch): void {
    for (const timer of peer.timers) this.#clock.clearTimeout(timer);
    peer.timers = [];
    if (peer.retry !== null) this.#clock.clearTimeout(peer.retry);
    peer.retry = null;
  }

  #update(): void {
    if (this.#closed) return;
    const broken =
      !this.#signalOpen || [...this.#peers.values()].some((p) => p.brokenSince !== null);
    const state = broken ? 'RECONNECTING' : 'CONNECTED';
    if (state === this.#state) return;
    this.#state = state;
    this.#actions.stateChanged(state);
  }
}
