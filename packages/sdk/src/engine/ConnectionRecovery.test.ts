import { describe, expect, it } from 'vitest';
import { ConnectionRecovery, type PeerName, type RecoveryClock } from './ConnectionRecovery.js';

/** A clock the test advances by hand. */
function manualClock(): RecoveryClock & { advance(ms: number): void } {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}

function setup(giveUpMs = 30_000) {
  const clock = manualClock();
  const restarts: PeerName[] = [];
  const states: string[] = [];
  const gaveUp: PeerName[] = [];
  const recovery = new ConnectionRecovery(
    {
      restart: async (pc) => void restarts.push(pc),
      stateChanged: (s) => void states.push(s),
      gaveUp: (pc) => void gaveUp.push(pc),
    },
    { giveUpMs, disconnectedGraceMs: 2000, retryMs: 5000, clock },
  );
  return { clock, restarts, states, gaveUp, recovery };
}

describe('ConnectionRecovery', () => {
  it('a disconnection that heals within the grace period: RECONNECTING → CONNECTED, no restart', () => {
    const { clock, restarts, states, recovery } = setup();
    recovery.peerState('subscriber', 'connected');
    recovery.peerState('subscriber', 'disconnected');
    clock.advance(1500);
    recovery.peerState('subscriber', 'connected');
    clock.advance(60_000);
    expect(restarts).toEqual([]);
    expect(states).toEqual(['RECONNECTING', 'CONNECTED']);
  });

  it('disconnected past the grace period: restarts ICE, and again while it stays broken', () => {
    const { clock, restarts, recovery } = setup();
    recovery.peerState('publisher', 'connected');
    recovery.peerState('publisher', 'disconnected');
    clock.advance(2000);
    expect(restarts).toEqual(['publisher']);
    clock.advance(5000);
    expect(restarts).toEqual(['publisher', 'publisher']);
    recovery.peerState('publisher', 'connected');
    clock.advance(20_000);
    expect(restarts).toHaveLength(2);
  });

  it('failed: restarts at once', () => {
    const { restarts, recovery } = setup();
    recovery.peerState('subscriber', 'connected');
    recovery.peerState('subscriber', 'failed');
    expect(restarts).toEqual(['subscriber']);
  });

  it('waits for the signaling channel before restarting, and is RECONNECTING meanwhile', () => {
    const { clock, restarts, states, recovery } = setup();
    recovery.peerState('subscriber', 'connected');
    recovery.signal(false);
    recovery.peerState('subscriber', 'failed');
    clock.advance(10_000);
    expect(restarts).toEqual([]);
    recovery.signal(true);
    expect(restarts).toEqual(['subscriber']);
    expect(states).toEqual(['RECONNECTING']);
    recovery.peerState('subscriber', 'connected');
    expect(states).toEqual(['RECONNECTING', 'CONNECTED']);
  });

  it('the signaling channel back: every broken connection restarts at once, not only those that waited', () => {
    const { clock, restarts, states, recovery } = setup();
    recovery.peerState('publisher', 'connected');
    recovery.peerState('subscriber', 'connected');
    // A cut: both connections go disconnected; the grace period ends while the dead socket
    // still looks open, so both restarts go out on it and are lost with it.
    recovery.peerState('publisher', 'disconnected');
    recovery.peerState('subscriber', 'disconnected');
    clock.advance(2000);
    expect(restarts.sort()).toEqual(['publisher', 'subscriber']);
    recovery.signal(false);
    clock.advance(1000);
    recovery.signal(true);
    // Again at once, not after the 5 s retry.
    expect(restarts.sort()).toEqual(['publisher', 'publisher', 'subscriber', 'subscriber']);
    // And the retry timer restarted from now: nothing more before retryMs.
    clock.advance(4900);
    expect(restarts).toHaveLength(4);
    recovery.peerState('publisher', 'connected');
    recovery.peerState('subscriber', 'connected');
    clock.advance(60_000);
    expect(restarts).toHaveLength(4);
    expect(states).toEqual(['RECONNECTING', 'CONNECTED']);
  });

  it('the signaling channel back: a connection still within its grace period restarts too; healthy ones do not', () => {
    const { restarts, recovery } = setup();
    recovery.peerState('publisher', 'connected');
    recovery.peerState('subscriber', 'connected');
    recovery.signal(false);
    recovery.peerState('subscriber', 'disconnected');
    recovery.signal(true);
    expect(restarts).toEqual(['subscriber']);
  });

  it('gives a connection up after giveUpMs of being broken, restarts included', () => {
    const { clock, gaveUp, recovery } = setup(20_000);
    recovery.peerState('publisher', 'connected');
    recovery.peerState('publisher', 'failed');
    clock.advance(19_000);
    expect(gaveUp).toEqual([]);
    clock.advance(1000);
    expect(gaveUp).toEqual(['publisher']);
  });

  it('a connection that comes back in time is never given up', () => {
    const { clock, gaveUp, recovery } = setup(20_000);
    recovery.peerState('publisher', 'connected');
    recovery.peerState('publisher', 'failed');
    clock.advance(15_000);
    recovery.peerState('publisher', 'connected');
    clock.advance(60_000);
    expect(gaveUp).toEqual([]);
  });

  it('a network change restarts every connection in use, without RECONNECTING', () => {
    const { restarts, states, recovery } = setup();
    recovery.peerState('publisher', 'connected');
    recovery.peerState('subscriber', 'connected');
    recovery.networkChanged();
    expect(restarts.sort()).toEqual(['publisher', 'subscriber']);
    expect(states).toEqual([]);
  });

  it('a closed or forgotten connection no longer counts', () => {
    const { clock, gaveUp, states, recovery } = setup(10_000);
    recovery.peerState('publisher', 'connected');
    recovery.peerState('publisher', 'disconnected');
    recovery.peerState('publisher', 'closed');
    clock.advance(60_000);
    expect(gaveUp).toEqual([]);
    expect(states).toEqual(['RECONNECTING', 'CONNECTED']);
  });
});
