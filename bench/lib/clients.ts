/**
 * Browserless participants of both servers: Parley over its signaling protocol
 * (packages/protocol/src/messages.ts), Janus over the VideoRoom plugin's HTTP API. Each one is
 * a publisher (sends the media of a `MediaPump`) or a receive-only subscriber (`ReceiveCounter`).
 */
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { genUserSig } from '@parley/usersig';
import type { RTCPeerConnection } from 'werift';
import {
  ReceiveCounter,
  addPublisherTracks,
  createPeer,
  setLocalAndGather,
  waitConnected,
  type PublisherTracks,
} from './peer.js';

import { assertClientNamespace } from './servers.js';

export type Target =
  | { server: 'Parley'; url: string; sdkAppId: number; secretKey: string; roomId: number }
  | { server: 'Janus'; url: string; roomId: number };

export interface Participant {
  publisher?: PublisherTracks;
  counter?: ReceiveCounter;
  /** Janus feed id of the publisher. */
  feedId?: number;
  /** Connection state of the publishing peer connection. */
  publisherState?: () => string;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- Parley

type Json = Record<string, unknown>;

class ParleySignal {
  #ws: WebSocket;
  #nextId = 1;
  #pending = new Map<number, { resolve(d: Json): void; reject(e: Error): void }>();
  #ping: NodeJS.Timeout | undefined;
  onRequest: (method: string, data: Json) => Promise<Json> = () =>
    Promise.reject(new Error('no handler'));
  onNotification: (method: string, data: Json) => void = () => undefined;

  constructor(url: string) {
    this.#ws = new WebSocket(url.replace(/^http/, 'ws') + '/signal');
    this.#ws.on('message', (raw) => this.#message(String(raw)));
    this.#ws.on('close', () => {
      clearInterval(this.#ping);
      for (const p of this.#pending.values()) p.reject(new Error('signal closed'));
      this.#pending.clear();
    });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#ws.once('open', () => {
        this.#ping = setInterval(() => void this.request('ping', {}).catch(() => undefined), 2000);
        resolve();
      });
      this.#ws.once('error', reject);
    });
  }

  #message(text: string): void {
    const env = JSON.parse(text) as Json;
    if (env.type === 'res') {
      const p = this.#pending.get(env.id as number);
      this.#pending.delete(env.id as number);
      if (!p) return;
      if (env.ok) p.resolve(env.data as Json);
      else p.reject(new Error(JSON.stringify(env.error)));
    } else if (env.type === 'req') {
      this.onRequest(env.method as string, env.data as Json).then(
        (data) => this.#ws.send(JSON.stringify({ type: 'res', id: env.id, ok: true, data })),
        (error: Error) =>
          this.#ws.send(
            JSON.stringify({
              type: 'res',
              id: env.id,
              ok: false,
              error: { code: -1, message: error.message },
            }),
          ),
      );
    } else if (env.type === 'ntf') {
      this.onNotification(env.method as string, env.data as Json);
    }
  }

  request(method: string, data: Json): Promise<Json> {
    const id = this.#nextId++;
    this.#ws.send(JSON.stringify({ type: 'req', id, method, data }));
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      setTimeout(() => {
        if (this.#pending.delete(id)) reject(new Error(`${method}: no answer in 15 s`));
      }, 15_000);
    });
  }

  notify(method: string, data: Json): void {
    this.#ws.send(JSON.stringify({ type: 'ntf', method, data }));
  }

  close(): void {
    clearInterval(this.#ping);
    this.#ws.close();
  }
}

interface Candidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

async function addCandidate(pc: RTCPeerConnection, c: Candidate): Promise<void> {
  if (!c.candidate) return;
  await pc
    .addIceCandidate({
      candidate: c.candidate,
      sdpMid: c.sdpMid ?? undefined,
      sdpMLineIndex: c.sdpMLineIndex ?? undefined,
    })
    .catch(() => undefined);
}

async function parleyParticipant(
  target: Extract<Target, { server: 'Parley' }>,
  userId: string,
  publish: boolean,
  subscribe: boolean,
): Promise<Participant> {
  const signal = new ParleySignal(target.url);
  await signal.open();
  const pcs: Partial<Record<'publisher' | 'subscriber', RTCPeerConnection>> = {};
  const early: Partial<Record<'publisher' | 'subscriber', Candidate[]>> = {};
  const participant: Participant = {
    close: async () => {
      await signal.request('leave', {}).catch(() => undefined);
      signal.close();
      await Promise.all(Object.values(pcs).map((pc) => pc.close()));
    },
  };
  let subscribed: Promise<void> | undefined;
  let resolveSubscribed: (() => void) | undefined;
  if (subscribe) {
    const pc = createPeer(true);
    pcs.subscriber = pc;
    const counter = new ReceiveCounter(pc);
    participant.counter = counter;
    let attached = false;
    subscribed = new Promise((resolve) => (resolveSubscribed = resolve));
    signal.onRequest = async (method, data) => {
      if (method !== 'offer') throw new Error(`unexpected request ${method}`);
      const sdp = data.sdp as string;
      counter.learn(sdp);
      await pc.setRemoteDescription({ type: 'offer', sdp });
      for (const c of early.subscriber ?? []) await addCandidate(pc, c);
      early.subscriber = [];
      const answer = await setLocalAndGather(pc, await pc.createAnswer());
      const transceiver = pc.getTransceivers()[0];
      if (!attached && transceiver) {
        attached = true;
        counter.attach(transceiver);
        void waitConnected(pc).then(resolveSubscribed, () => undefined);
      }
      return { sdp: answer };
    };
  }
  signal.onNotification = (method, data) => {
    if (method !== 'candidate') return;
    const name = data.pc as 'publisher' | 'subscriber';
    const c = data.candidate as Candidate;
    const pc = pcs[name];
    if (pc?.remoteDescription) void addCandidate(pc, c);
    else (early[name] ??= []).push(c);
  };
  const joined = await signal.request('join', {
    protocolVersion: PROTOCOL_VERSION,
    sdkVersion: 'bench',
    sdkAppId: target.sdkAppId,
    userId,
    userSig: genUserSig({
      sdkAppId: target.sdkAppId,
      key: target.secretKey,
      userId,
      expire: 3600,
    }),
    room: { kind: 'number', id: target.roomId },
    mode: 'rtc',
    role: 'anchor',
    autoSubscribe: subscribe,
  });
  if (publish) {
    const pc = createPeer(false);
    pcs.publisher = pc;
    participant.publisher = addPublisherTracks(pc);
    participant.publisherState = () => pc.connectionState;
    const offer = await setLocalAndGather(pc, await pc.createOffer());
    const tracks = pc.getTransceivers().map((t) => ({
      mid: t.mid!,
      kind: t.kind,
      streamType: 'main',
      muted: false,
    }));
    const result = await signal.request('publish', { sdp: offer, tracks });
    await pc.setRemoteDescription({ type: 'answer', sdp: result.sdp as string });
    for (const c of early.publisher ?? []) await addCandidate(pc, c);
    await waitConnected(pc);
  }
  // Wait for the subscription only when the room already has someone publishing.
  const publishing = (joined.participants as { streams: unknown[] }[]).some(
    (p) => p.streams.length,
  );
  if (subscribed && publishing) await withTimeout(subscribed, 15_000, `${userId} subscribing`);
  return participant;
}

// ---------------------------------------------------------------- Janus

/** One Janus session (HTTP long-poll) shared by every handle a process makes. */
class JanusSession {
  #handlers = new Map<number, (event: Json) => void>();
  #closed = false;
  #tx = 0;

  private constructor(
    readonly url: string,
    readonly id: number,
  ) {
    void this.#poll();
  }

  static async create(url: string): Promise<JanusSession> {
    const res = await janusPost(url, { janus: 'create' });
    return new JanusSession(url, (res.data as Json).id as number);
  }

  async #poll(): Promise<void> {
    while (!this.#closed) {
      try {
        const res = await fetch(`${this.url}/${this.id}?maxev=50&rid=${Date.now()}`, {
          signal: AbortSignal.timeout(40_000),
        });
        const body = (await res.json()) as Json | Json[];
        for (const event of Array.isArray(body) ? body : [body]) {
          const sender = event.sender as number | undefined;
          if (sender !== undefined) this.#handlers.get(sender)?.(event);
        }
      } catch {
        if (!this.#closed) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async attach(onEvent: (event: Json) => void): Promise<JanusHandle> {
    const res = await this.post({ janus: 'attach', plugin: 'janus.plugin.videoroom' });
    const id = (res.data as Json).id as number;
    this.#handlers.set(id, onEvent);
    return new JanusHandle(this, id);
  }

  post(body: Json, path = ''): Promise<Json> {
    return janusPost(`${this.url}/${this.id}${path}`, { ...body, transaction: `t${++this.#tx}` });
  }

  detach(handle: number): void {
    this.#handlers.delete(handle);
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    await this.post({ janus: 'destroy' }).catch(() => undefined);
  }
}

class JanusHandle {
  constructor(
    readonly session: JanusSession,
    readonly id: number,
  ) {}
  message(body: Json, jsep?: Json): Promise<Json> {
    return this.session.post({ janus: 'message', body, ...(jsep ? { jsep } : {}) }, `/${this.id}`);
  }
  trickleDone(): Promise<Json> {
    return this.session.post({ janus: 'trickle', candidate: { completed: true } }, `/${this.id}`);
  }
  async detach(): Promise<void> {
    this.session.detach(this.id);
    await this.session.post({ janus: 'detach' }, `/${this.id}`).catch(() => undefined);
  }
}

async function janusPost(url: string, body: Json): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ transaction: 'x', ...body }),
    signal: AbortSignal.timeout(15_000),
  });
  const json = (await res.json()) as Json;
  if (json.janus === 'error') throw new Error(`Janus: ${JSON.stringify(json.error)}`);
  const data = (json.plugindata as Json | undefined)?.data as Json | undefined;
  if (data?.error) throw new Error(`VideoRoom: ${String(data.error)}`);
  return json;
}

const sessions = new Map<string, Promise<JanusSession>>();
function janusSession(url: string): Promise<JanusSession> {
  let s = sessions.get(url);
  if (!s) {
    s = JanusSession.create(url);
    sessions.set(url, s);
  }
  return s;
}

export async function closeJanusSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map(async (s) => (await s).destroy()));
}

/** Creates a VideoRoom (any participant count, no bitrate cap). */
export async function createJanusRoom(url: string, roomId: number): Promise<void> {
  assertClientNamespace();
  const session = await janusSession(url);
  const handle = await session.attach(() => undefined);
  await handle.message({
    request: 'create',
    room: roomId,
    publishers: 16,
    bitrate: 0,
    fir_freq: 0,
    audiocodec: 'opus',
    videocodec: 'vp8',
    notify_joining: false,
  });
  await handle.detach();
}

function janusEvents() {
  const waiters: { test(e: Json): boolean; resolve(e: Json): void }[] = [];
  return {
    onEvent(event: Json) {
      const i = waiters.findIndex((w) => w.test(event));
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(event);
    },
    next(test: (e: Json) => boolean, what: string): Promise<Json> {
      return withTimeout(
        new Promise<Json>((resolve) => waiters.push({ test, resolve })),
        15_000,
        what,
      );
    },
  };
}

async function janusPublisher(target: Extract<Target, { server: 'Janus' }>, name: string) {
  const session = await janusSession(target.url);
  const events = janusEvents();
  const handle = await session.attach(events.onEvent);
  const pc = createPeer(false);
  const publisher = addPublisherTracks(pc);
  const offer = await setLocalAndGather(pc, await pc.createOffer());
  const answered = events.next((e) => Boolean(e.jsep), `${name}: Janus answer`);
  await handle.message(
    {
      request: 'joinandconfigure',
      room: target.roomId,
      ptype: 'publisher',
      display: name,
      audio: true,
      video: true,
    },
    { type: 'offer', sdp: offer },
  );
  const event = await answered;
  await pc.setRemoteDescription(event.jsep as { type: 'answer'; sdp: string });
  await handle.trickleDone();
  await waitConnected(pc);
  const data = (event.plugindata as Json).data as Json;
  return {
    publisher,
    publisherState: () => pc.connectionState,
    feedId: data.id as number,
    close: async () => {
      await handle.detach();
      await pc.close();
    },
  };
}

async function janusSubscriber(
  target: Extract<Target, { server: 'Janus' }>,
  feeds: number[],
  name: string,
) {
  const session = await janusSession(target.url);
  const events = janusEvents();
  const handle = await session.attach(events.onEvent);
  const pc = createPeer(true);
  const counter = new ReceiveCounter(pc);
  const offered = events.next((e) => Boolean(e.jsep), `${name}: Janus offer`);
  await handle.message({
    request: 'join',
    room: target.roomId,
    ptype: 'subscriber',
    streams: feeds.map((feed) => ({ feed })),
  });
  const jsep = (await offered).jsep as { type: 'offer'; sdp: string };
  counter.learn(jsep.sdp);
  await pc.setRemoteDescription(jsep);
  const answer = await setLocalAndGather(pc, await pc.createAnswer());
  counter.attach(pc.getTransceivers()[0]!);
  await handle.message({ request: 'start' }, { type: 'answer', sdp: answer });
  await handle.trickleDone();
  await waitConnected(pc);
  return {
    counter,
    close: async () => {
      await handle.detach();
      await pc.close();
    },
  };
}

/**
 * One participant. For Janus, `feeds` lists whom a subscriber receives (Janus subscribes by
 * feed id; Parley subscribes to everyone in the room on its own).
 */
export async function joinParticipant(
  target: Target,
  userId: string,
  publish: boolean,
  subscribe: boolean,
  feeds: number[] = [],
): Promise<Participant> {
  assertClientNamespace();
  if (target.server === 'Parley') return parleyParticipant(target, userId, publish, subscribe);
  const parts: { close(): Promise<void> }[] = [];
  const participant: Participant = {
    close: async () => {
      await Promise.all(parts.map((p) => p.close()));
    },
  };
  if (publish) {
    const p = await janusPublisher(target, userId);
    parts.push(p);
    participant.publisher = p.publisher;
    participant.publisherState = p.publisherState;
    participant.feedId = p.feedId;
  }
  if (subscribe && feeds.length) {
    const s = await janusSubscriber(target, feeds, userId);
    parts.push(s);
    participant.counter = s.counter;
  }
  return participant;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
