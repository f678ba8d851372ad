/**
 * v5's CDNStreaming plugin on Parley's media out (docs/media-out.md): PublishMainStreamToCDN
 * and PublishSubStreamToCDN relay the user's camera or screen stream over RTMP,
 * PublishMixStreamToCDN has the server mix users by the layout and push the mix; each goes to
 * `target.url` or the application's URL template (`PARLEY_CDN_URL_TEMPLATE`). The three run
 * side by side (one relay slot each on the server). PublishMixStreamToRoom, pushing a mix
 * back into a room as a robot user, is refused: Parley has no such robot.
 */
import {
  ErrorCode,
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
  type RelaySlot,
} from '@parley/protocol';
import type { Session } from '../../engine/Session.js';
import { createLogger } from '../../util/Logger.js';
import { ERROR_CODE, EXTRA_CODE, RtcError } from '../errors.js';
import { toV5Error } from '../engineErrors.js';
import {
  checkCdnOptions,
  checkTarget,
  type CdnMode,
  type CdnTarget,
} from './cdnStreamingOptions.js';
import type { PluginHost, V5Plugin } from './registry.js';

const log = createLogger('v5-cdn');

/** The server starts or changes a pipeline within this (a mix restart takes a few seconds). */
const REQUEST_TIMEOUT_MS = 15_000;

interface Running {
  /** The options as last applied (update merges into them). */
  options: Record<string, unknown>;
  target: CdnTarget;
  /** The mix's stream id as the server named it. */
  streamId?: string;
  /** The session it runs in: leaving the room ends it on the server. */
  session: Session;
}

export class CdnStreamingPlugin implements V5Plugin {
  private readonly running = new Map<CdnMode, Running>();
  /** Calls run one after the other (a mix is two requests). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly host: PluginHost) {}

  start(options: unknown): Promise<void> {
    return this.serial(() => this.apply(options, 'startPlugin', null));
  }

  update(options: unknown): Promise<void> {
    return this.serial(async () => {
      const target = checkTarget(options, 'updatePlugin');
      const current = this.current(target.mode);
      // v5 merges the update into what was started.
      const merged = current
        ? deepMerge(current.options, options as Record<string, unknown>)
        : (options as Record<string, unknown>);
      await this.apply(merged, 'updatePlugin', current);
    });
  }

  stop(options: unknown): Promise<void> {
    return this.serial(async () => {
      const fn = 'stopPlugin';
      const { mode } = checkTarget(options, fn);
      const current = this.current(mode);
      this.running.delete(mode);
      // Nothing running in that mode: v5 resolves.
      if (!current) return;
      const session = current.session;
      if (mode === 'mix') await this.request(session, 'stop-mix-transcode', {}, fn);
      else await this.request(session, 'stop-publish-cdn', { slot: slotOf(mode) }, fn);
    });
  }

  private async apply(options: unknown, fn: string, current: Running | null): Promise<void> {
    const session = this.host.engine.currentSession;
    const userId = this.host.engine.joinData?.userId ?? '';
    const request = checkCdnOptions(options, fn, userId, current === null);
    const { target } = request;
    if (target.mode === 'mix-to-room') {
      throw new RtcError({
        code: ERROR_CODE.ENV_NOT_SUPPORTED,
        message: `${fn}('CDNStreaming'): PublishMixStreamToRoom is not available on Parley (it has no robot user to push a mix back into a room); PublishMixStreamToCDN pushes the mix over RTMP`,
        fnName: fn,
      });
    }
    if (!session || !this.host.engine.joined) {
      throw new RtcError({
        code: ERROR_CODE.INVALID_OPERATION,
        extraCode: EXTRA_CODE.INVALID_OPERATION_NOT_JOINED,
        message: `${fn}('CDNStreaming') needs a room: call enterRoom() first`,
        fnName: fn,
      });
    }
    const entry: Running = {
      options: options as Record<string, unknown>,
      target,
      session,
    };
    if (target.mode === 'mix') {
      const { streamId } = await this.request(session, 'start-mix-transcode', request.mix!, fn);
      entry.streamId = streamId;
      // The same output as before: the mix changed in place, the push goes on.
      const samePush = current?.streamId === streamId && current.target.url === target.url;
      if (!samePush) {
        try {
          await this.request(
            session,
            'start-publish-cdn',
            {
              slot: 'mix',
              streamType: 'main',
              streamId,
              ...(target.url ? { url: target.url } : {}),
            },
            fn,
          );
        } catch (error) {
          // Nowhere to push it: the mix does not stay set up.
          if (!current) {
            await this.request(session, 'stop-mix-transcode', {}, fn).catch(() => undefined);
          }
          throw error;
        }
      }
    } else {
      const { streamId } = await this.request(
        session,
        'start-publish-cdn',
        {
          slot: slotOf(target.mode),
          streamType: target.mode === 'sub' ? 'auxiliary' : 'main',
          ...(target.streamId ? { streamId: target.streamId } : {}),
          ...(target.url ? { url: target.url } : {}),
        },
        fn,
      );
      entry.streamId = streamId;
    }
    this.running.set(target.mode, entry);
    log.info(`CDNStreaming ${target.mode} → ${entry.streamId ?? ''} (${fn})`);
  }

  /** What runs in `mode` now (gone with the session it ran in). */
  private current(mode: CdnMode): Running | null {
    const running = this.running.get(mode);
    if (!running) return null;
    if (running.session !== this.host.engine.currentSession || running.session.ended) {
      this.running.delete(mode);
      return null;
    }
    return running;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * One media-out request. The server's refusals as v5 reports its own: a bad parameter or a
   * wrong state keep their code; any other failure of the server is a plain error in v5's
   * plugin, which v5 turns into UNKNOWN_ERROR, with the cause in the message.
   */
  private async request<K extends ClientRequestMethod>(
    session: Session,
    method: K,
    data: ClientRequestData<K>,
    fn: string,
  ): Promise<ClientRequestResult<K>> {
    try {
      return await session.signal.request(method, data, { timeoutMs: REQUEST_TIMEOUT_MS });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === ErrorCode.INVALID_PARAMETER || code === ErrorCode.INVALID_OPERATION) {
        throw toV5Error(error, fn);
      }
      const cause = error instanceof Error ? error.message : String(error);
      throw new RtcError({
        code: ERROR_CODE.UNKNOWN_ERROR,
        message: `[CDNStreaming] server failed: ${method}: ${cause}`,
        fnName: fn,
        ...(error instanceof Error ? { originError: error } : {}),
      });
    }
  }
}

function slotOf(mode: CdnMode): RelaySlot {
  return mode === 'sub' ? 'sub' : mode === 'mix' ? 'mix' : 'main';
}

/** v5's merge of an update into the options: objects field by field, anything else replaced. */
function deepMerge(
  base: Record<string, unknown>,
  update: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(update)) {
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
