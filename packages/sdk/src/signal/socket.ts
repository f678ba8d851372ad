/**
 * Opening one WebSocket with a timeout, and closing one quietly. Failures are
 * SIGNAL_CHANNEL_SETUP_FAILED naming the URL, so a wrong server address is obvious.
 */
import { RtcError, describe } from '../errors/RtcError.js';

/**
 * The part of the WebSocket API this channel uses. The browser's WebSocket and the `ws`
 * package's both fit it at runtime; their TypeScript event types differ, so callers cast
 * the constructor once at the boundary.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketCtor = new (url: string) => WebSocketLike;

/**
 * Opens a socket to `url`. `abort(error)` rejects the attempt (and closes the socket) if it
 * is still opening.
 */
export function openSocket(
  url: string,
  Ctor: WebSocketCtor | undefined,
  timeoutMs: number,
): { socket: Promise<WebSocketLike>; abort(error: RtcError): void } {
  let abort: (error: RtcError) => void = () => {};
  const socket = new Promise<WebSocketLike>((resolve, reject) => {
    const Impl =
      Ctor ?? ((globalThis as { WebSocket?: unknown }).WebSocket as WebSocketCtor | undefined);
    if (Impl === undefined) {
      reject(RtcError.signalSetupFailed('this environment has no WebSocket implementation'));
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = new Impl(url);
    } catch (error) {
      reject(
        RtcError.signalSetupFailed(`cannot open a WebSocket to ${url}: ${describe(error)}`, error),
      );
      return;
    }
    let settled = false;
    const finish = (error?: RtcError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.onopen = null;
      ws.onclose = null;
      if (error) {
        closeSocket(ws, 1000, 'not needed');
        reject(error);
      } else {
        resolve(ws);
      }
    };
    const timer = setTimeout(
      () =>
        finish(
          RtcError.signalSetupFailed(
            `timed out after ${timeoutMs} ms opening the signaling connection to ${url}`,
          ),
        ),
      timeoutMs,
    );
    ws.onopen = () => finish();
    ws.onerror = () => {
      // The close event that follows carries the code.
    };
    ws.onclose = (event) =>
      finish(
        RtcError.signalSetupFailed(
          `could not open the signaling connection to ${url} (WebSocket closed with code ${event.code}` +
            `${event.reason ? `: ${event.reason}` : ''}); is a Parley server listening there?`,
        ),
      );
    abort = finish;
  });
  return { socket, abort: (error) => abort(error) };
}

/** Detaches our handlers and closes; never throws. */
export function closeSocket(ws: WebSocketLike, code: number, reason: string): void {
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = () => {};
  try {
    ws.close(code, reason);
  } catch {
    // Already closed or never opened.
  }
}
