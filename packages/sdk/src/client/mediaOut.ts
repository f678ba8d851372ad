/**
 * v4's media-out methods: `startMixTranscode` / `stopMixTranscode` (the server mixes users of
 * the room by a layout) and `startPublishCDNStream` / `stopPublishCDNStream` (the server
 * relays the client's mix or its own stream over RTMP). The config is checked here with v4's
 * defaults and rules (shared with the server, which checks again) and sent over signaling;
 * a failure rejects with v4's code for the method and the cause in the message.
 */
import {
  checkMixConfig,
  ErrorCode,
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
} from '@parley/protocol';
import { RtcError } from '../errors/RtcError.js';
import type { PublishCDNStreamOptions } from '../notYet.js';

/** A call resolves or rejects within 10 s (the server starts its pipeline within that). */
const MEDIA_OUT_TIMEOUT_MS = 10_000;

/** What these calls need of a joined session. */
export interface MediaOutSignal {
  request<K extends ClientRequestMethod>(
    method: K,
    data: ClientRequestData<K>,
    options?: { timeoutMs?: number },
  ): Promise<ClientRequestResult<K>>;
}

/** Codes passed through as the server sent them; anything else becomes `failure`. */
const PASS_THROUGH = new Set<number>([
  ErrorCode.INVALID_PARAMETER,
  ErrorCode.INVALID_OPERATION,
  ErrorCode.START_PUBLISH_CDN_FAILED,
  ErrorCode.STOP_PUBLISH_CDN_FAILED,
  ErrorCode.START_MIX_TRANSCODE_FAILED,
  ErrorCode.STOP_MIX_TRANSCODE_FAILED,
]);

async function send<K extends ClientRequestMethod>(
  signal: MediaOutSignal,
  method: K,
  data: ClientRequestData<K>,
  failure: number,
  what: string,
): Promise<ClientRequestResult<K>> {
  try {
    return await signal.request(method, data, { timeoutMs: MEDIA_OUT_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof RtcError && PASS_THROUGH.has(error.code)) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    throw new RtcError({ code: failure, message: `${what} failed: ${cause}`, cause: error });
  }
}

/** `client.startMixTranscode(config)`: v4's checks here, the mix on the server. */
export async function startMixTranscode(
  signal: MediaOutSignal,
  userId: string,
  config: unknown,
): Promise<void> {
  const check = checkMixConfig(config, userId);
  if (!check.ok) throw RtcError.invalidParameter(`startMixTranscode(): ${check.message}`);
  // The raw config goes: the server applies the same defaults (and checks it again).
  await send(
    signal,
    'start-mix-transcode',
    config as ClientRequestData<'start-mix-transcode'>,
    ErrorCode.START_MIX_TRANSCODE_FAILED,
    'startMixTranscode()',
  );
}

export async function stopMixTranscode(signal: MediaOutSignal): Promise<void> {
  await send(
    signal,
    'stop-mix-transcode',
    {},
    ErrorCode.STOP_MIX_TRANSCODE_FAILED,
    'stopMixTranscode()',
  );
}

/** `client.startPublishCDNStream(options)`: relays the named mix, or the caller's own stream. */
export async function startPublishCDNStream(
  signal: MediaOutSignal,
  options: PublishCDNStreamOptions = {},
): Promise<void> {
  if (typeof options !== 'object' || options === null) {
    throw RtcError.invalidParameter('startPublishCDNStream() options must be an object');
  }
  const { streamId, appId, bizId, url, streamType = 'main' } = options;
  if (streamType !== 'main' && streamType !== 'auxiliary') {
    throw RtcError.invalidParameter(
      `startPublishCDNStream() streamType must be 'main' or 'auxiliary', got ${String(streamType)}`,
    );
  }
  if (
    streamId !== undefined &&
    (typeof streamId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(streamId))
  ) {
    throw RtcError.invalidParameter(
      'startPublishCDNStream() streamId must be 1-64 letters, digits, _ or -',
    );
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rtmps?:\/\/[^\s/]+\/\S+$/.test(url))) {
    throw RtcError.invalidParameter(
      'startPublishCDNStream() url must be an rtmp:// or rtmps:// URL with a path',
    );
  }
  for (const [name, value] of [
    ['appId', appId],
    ['bizId', bizId],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw RtcError.invalidParameter(
        `startPublishCDNStream() ${name} must be a non-negative integer`,
      );
    }
  }
  await send(
    signal,
    'start-publish-cdn',
    {
      streamType,
      ...(streamId !== undefined ? { streamId } : {}),
      ...(appId !== undefined ? { appId } : {}),
      ...(bizId !== undefined ? { bizId } : {}),
      ...(url !== undefined ? { url } : {}),
    },
    ErrorCode.START_PUBLISH_CDN_FAILED,
    'startPublishCDNStream()',
  );
}

export async function stopPublishCDNStream(signal: MediaOutSignal): Promise<void> {
  await send(
    signal,
    'stop-publish-cdn',
    {},
    ErrorCode.STOP_PUBLISH_CDN_FAILED,
    'stopPublishCDNStream()',
  );
}
