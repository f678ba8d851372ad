import type { Page } from 'playwright-core';

/**
 * Every RTCPeerConnection and WebSocket a page creates, so tests can read getStats() as a
 * person's browser would, and cut a socket to simulate a network blip.
 */
export const RECORD_PEER_CONNECTIONS = `
  (() => {
    const Native = window.RTCPeerConnection;
    window.__pcs = [];
    window.RTCPeerConnection = function (...args) {
      const pc = new Native(...args);
      window.__pcs.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
    Object.setPrototypeOf(window.RTCPeerConnection, Native);
    const NativeWS = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = function (...args) {
      const ws = new NativeWS(...args);
      window.__sockets.push(ws);
      return ws;
    };
    window.WebSocket.prototype = NativeWS.prototype;
    Object.setPrototypeOf(window.WebSocket, NativeWS);
  })();
`;

/**
 * How fast a viewer sees the room, as a person would, for the e2e join test and the bench
 * (Parley and Janus pages alike). `__firstFrame(video, timeoutMs)` resolves with two instants
 * (performance.now()): `painted`, the first frame handed to the compositor
 * (requestVideoFrameCallback), and `playing`, when the element has a picture and its clock
 * moves (videoWidth > 0 and currentTime > 0, polled every 2 ms). `__parleyJoins(options)` runs
 * `joins` joins of the TRTC v4 API one after another (join → stream-added → subscribe → play
 * → leave) and gives, per join, both instants and the milestones, in ms after `join()`, or
 * null for a join that showed no frame within 10 s. Plain JS: it runs before any page script.
 */
export const JOIN_PROBE = `
  (() => {
    window.__firstFrame = (video, timeoutMs) =>
      new Promise((resolve, reject) => {
        const out = { painted: -1, playing: -1 };
        let poll = 0;
        const timer = setTimeout(() => {
          clearInterval(poll);
          reject(new Error('no frame within ' + timeoutMs + ' ms'));
        }, timeoutMs);
        const check = () => {
          if (out.playing < 0 && video.videoWidth > 0 && video.currentTime > 0) {
            out.playing = performance.now();
          }
          if (out.painted >= 0 && out.playing >= 0) {
            clearTimeout(timer);
            clearInterval(poll);
            resolve(out);
          }
        };
        video.requestVideoFrameCallback(() => {
          if (out.painted < 0) out.painted = performance.now();
          check();
        });
        poll = setInterval(check, 2);
      });

    window.__parleyJoins = async ({ sdkAppId, userId, userSig, roomId, joins }) => {
      const results = [];
      for (let i = 0; i < joins; i++) {
        const client = window.TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig });
        const marks = {};
        let start = 0;
        const first = new Promise((resolve, reject) => {
          client.on('stream-added', (e) => {
            if (marks.added === undefined) marks.added = performance.now() - start;
            client.subscribe(e.stream).catch(reject);
          });
          client.on('stream-subscribed', (e) => {
            if (marks.subscribed === undefined) marks.subscribed = performance.now() - start;
            const div = document.createElement('div');
            div.id = 'v' + i + '_' + e.stream.getId();
            div.style.cssText = 'width:320px;height:240px';
            document.getElementById('players').appendChild(div);
            e.stream.play(div.id).catch(() => undefined);
            window.__firstFrame(div.querySelector('video'), 10000).then(resolve, reject);
          });
        });
        first.catch(() => undefined);
        start = performance.now();
        try {
          await client.join({ roomId });
          marks.joined = performance.now() - start;
          const seen = await first;
          marks.painted = seen.painted - start;
          marks.playing = seen.playing - start;
          results.push({ painted: marks.painted, playing: marks.playing, marks });
        } catch {
          results.push(null);
        }
        await client.leave().catch(() => undefined);
        document.getElementById('players').innerHTML = '';
        await new Promise((r) => setTimeout(r, 300));
      }
      return results;
    };
  })();
`;

/** One join measured by JOIN_PROBE's `__parleyJoins` (ms after `join()`). */
export interface JoinSample {
  painted: number;
  playing: number;
  marks: Record<string, number>;
}

/** Runs JOIN_PROBE's `__parleyJoins` on a page showing the SDK (JOIN_PROBE added at its start). */
export function measureParleyJoins(
  page: Page,
  options: { sdkAppId: number; userId: string; userSig: string; roomId: number; joins: number },
): Promise<Array<JoinSample | null>> {
  return page.evaluate(
    (o) =>
      (
        window as unknown as {
          __parleyJoins(o: object): Promise<Array<JoinSample | null>>;
        }
      ).__parleyJoins(o),
    options,
  );
}
