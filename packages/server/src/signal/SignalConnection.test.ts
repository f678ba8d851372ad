/** What a client sees when the server fails internally: a reference, never the exception. */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ErrorCode, ProtocolErrorCode } from '@parley/protocol';
import { createLogger } from '../logger.js';
import { CapturedLog } from '../test/signalTestKit.js';
import { ServerError } from '../ServerError.js';
import { SignalConnection, type RequestHandler } from './SignalConnection.js';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A SignalConnection over a real socket pair, answering requests with `handler`. */
async function connect(handler: RequestHandler, log: CapturedLog) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const connection = new Promise<SignalConnection>((resolve) =>
    wss.once('connection', (ws) => {
      const signal = new SignalConnection(
        ws,
        createLogger('trace', { destination: log }),
        '127.0.0.1',
      );
      signal.setHandlers(handler, () => undefined);
      resolve(signal);
    }),
  );
  const { port } = wss.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve) => client.once('open', resolve));
  closers.push(() => {
    client.terminate();
    wss.close();
  });
  const signal = await connection;
  const request = (id: number, method: string) =>
    new Promise<{ ok: boolean; error?: { code: number; extraCode?: number; message: string } }>(
      (resolve) => {
        client.on('message', (d) => {
          const frame = JSON.parse(d.toString());
          if (frame.id === id) resolve(frame);
        });
        client.send(JSON.stringify({ type: 'req', id, method, data: {} }));
      },
    );
  return { signal, request };
}

describe('SignalConnection', () => {
  it('answers an internal failure with a generic message and a reference; the log has the error', async () => {
    const log = new CapturedLog();
    const internal = 'ENOENT: /srv/parley/state/room-42.json at Router.fanOut (Router.ts:118)';
    const { signal, request } = await connect(() => Promise.reject(new Error(internal)), log);
    const answer = await request(1, 'ping');
    expect(answer.ok).toBe(false);
    expect(answer.error?.code).toBe(ErrorCode.UNKNOWN);
    expect(answer.error?.extraCode).toBe(ProtocolErrorCode.INTERNAL);
    expect(answer.error?.message).not.toContain('ENOENT');
    expect(answer.error?.message).not.toContain('Router');
    const ref = /reference (c\d+-[0-9a-f]{8})/.exec(answer.error?.message ?? '')?.[1];
    expect(ref, answer.error?.message).toBeDefined();
    expect(ref!.startsWith(`${signal.id}-`)).toBe(true);
    const entry = log.lines.map((l) => JSON.parse(l)).find((e) => e.ref === ref);
    expect(entry).toMatchObject({ conn: signal.id, method: 'ping', msg: 'request failed' });
    expect(entry.err.message).toBe(internal);
  });

  it('passes a ServerError through verbatim: those messages are written for the client', async () => {
    const log = new CapturedLog();
    const { request } = await connect(
      () => Promise.reject(ServerError.wrongState('leave needs a joined room')),
      log,
    );
    const answer = await request(2, 'leave');
    expect(answer.error).toEqual({
      code: ErrorCode.INVALID_OPERATION,
      extraCode: ProtocolErrorCode.WRONG_STATE,
      message: 'leave needs a joined room',
    });
  });
});
