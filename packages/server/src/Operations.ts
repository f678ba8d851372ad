/**
 * The operations side of a Parley node, built over one RoomDirectory: the TRTC server API,
 * bans, history, event callbacks, metrics and the admin console. The server gives it HTTP
 * requests it does not handle itself and asks it at each join.
 */
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoomRef } from '@parley/protocol';
import type { Logger } from 'pino';
import { createAdminApi } from './admin/AdminApi.js';
import type { ParleyConfig } from './config.js';
import { CallbackQueue } from './callbacks/CallbackQueue.js';
import { translateEvents } from './callbacks/events.js';
import type { MediaStatsSource } from './metrics/MediaStatsSource.js';
import { Metrics } from './metrics/Metrics.js';
import { createActions } from './api/actions.js';
import { BanList } from './api/BanList.js';
import { History } from './api/History.js';
import { JoinPolicy } from './api/JoinPolicy.js';
import type { JoinRefusal, RoomDirectory } from './room/RoomDirectory.js';
import { createTencentApi, isApiRequest, type ActionHandler } from './api/TencentApi.js';
import { createMediaOutActions, type MediaOutActionDeps } from './api/mediaOutActions.js';
import type { AdminNode } from './admin/AdminApi.js';
import { createRecordingActions } from './api/recordingActions.js';
import { routedTaskActions, type TaskRouter } from './api/taskRouting.js';
import type { CloudRecordings } from './recording/CloudRecordings.js';

export interface OperationsOptions {
  config: ParleyConfig;
  directory: RoomDirectory;
  media: MediaStatsSource;
  log: Logger;
  adminDir: string;
  /** Cluster: the nodes the admin console lists. */
  nodes?: () => AdminNode[] | null;
  /** Media out's server API actions (StartPublishCdnStream, StartMCUMixTranscode, …). */
  mediaOut?: MediaOutActionDeps;
  /** Cloud recording's server API actions (CreateCloudRecording, …). */
  recordings?: CloudRecordings;
  /** Cluster: where media-out and recording task calls run (null on a single node). */
  taskRouter?: () => TaskRouter | null;
}

export class Operations {
  readonly bans: BanList;
  readonly history: History;
  readonly callbacks: CallbackQueue;
  readonly metrics: Metrics;
  /** The media-out and recording actions as they run on this node (a cluster forwards to them). */
  readonly taskActions: Record<string, ActionHandler>;
  readonly #policy: JoinPolicy;
  readonly #api: ReturnType<typeof createTencentApi>;
  readonly #admin: ReturnType<typeof createAdminApi>;

  constructor(options: OperationsOptions) {
    const { config, directory, log } = options;
    const state = config.stateDir;
    this.bans = new BanList(join(state, 'bans.json'));
    this.history = new History({ file: join(state, 'history.jsonl') });
    this.history.follow(directory);
    const apps = new Map(config.apps.map((a) => [a.sdkAppId, a]));
    this.callbacks = new CallbackQueue({
      dir: join(state, 'callbacks'),
      target: (sdkAppId) => apps.get(sdkAppId)?.callback,
      retryMs: config.callbackRetryMs,
      maxBackoffMs: config.callbackMaxBackoffMs,
      log: log.child({ part: 'callbacks' }),
    });
    translateEvents(directory, (event) => this.callbacks.enqueue(event));
    this.metrics = new Metrics(directory, options.media, () => this.callbacks.depth);
    this.callbacks.on('delivery', (d) => {
      this.metrics.callbackDelivery(d.outcome);
      if (d.outcome !== 'delivered') {
        this.metrics.recordError({
          source: 'callback',
          code: d.outcome === 'dropped' ? 'dropped' : String(d.status ?? d.error ?? 'error'),
          message: `event ${d.eventType} of room ${String(d.roomId)} (seq ${d.seq}) attempt ${d.attempt}: ${d.error ?? ''}`,
          context: { sdkAppId: d.sdkAppId },
        });
      }
    });
    this.#policy = new JoinPolicy(config.apps, this.bans, directory);
    this.taskActions = {
      ...(options.mediaOut ? createMediaOutActions(options.mediaOut) : {}),
      ...(options.recordings ? createRecordingActions(options.recordings) : {}),
    };
    this.#api = createTencentApi({
      apps: config.apps,
      actions: {
        ...createActions({ directory, bans: this.bans, history: this.history }),
        ...routedTaskActions(this.taskActions, options.taskRouter ?? (() => null)),
      },
      log: log.child({ part: 'api' }),
      onResult: ({ action, code, message }) => {
        this.metrics.apiCall(action, code);
        if (code !== 'Success') {
          this.metrics.recordError({ source: 'api', code, message: `${action}: ${message ?? ''}` });
        }
      },
    });
    this.#admin = createAdminApi({
      staticDir: options.adminDir,
      apps: config.apps,
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
      directory,
      bans: this.bans,
      history: this.history,
      metrics: this.metrics,
      callbacks: this.callbacks,
      log: log.child({ part: 'admin' }),
      ...(options.nodes ? { nodes: options.nodes } : {}),
    });
  }

  checkJoin(
    sdkAppId: number,
    room: RoomRef,
    userId: string,
    hasPrivateMapKey: boolean,
    /** False for a WHEP viewer: no member, so the app's member limits do not apply. */
    member = true,
  ): JoinRefusal | null {
    return this.#policy.checkJoin(sdkAppId, room, userId, hasPrivateMapKey, member);
  }

  /** A join finished: its latency, or the error code it was refused with. */
  joinFinished(
    seconds: number,
    error?: { code: number; extraCode?: number; message: string; sdkAppId?: number },
  ): void {
    if (!error) {
      this.metrics.observeJoin(seconds);
      return;
    }
    this.metrics.recordError({
      source: 'join',
      code: error.extraCode !== undefined ? `${error.code}/${error.extraCode}` : String(error.code),
      message: error.message,
      ...(error.sdkAppId !== undefined ? { context: { sdkAppId: error.sdkAppId } } : {}),
    });
  }

  /** Handles the requests that are ours; false for the others. */
  async handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (isApiRequest(req, url)) {
      await this.#api(req, res, url);
      return true;
    }
    if (url.pathname === '/metrics' && req.method === 'GET') {
      const text = await this.metrics.text();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
      res.end(text);
      return true;
    }
    if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
      return this.#admin(req, res, url);
    }
    return false;
  }

  async close(): Promise<void> {
    this.metrics.close();
    await this.callbacks.close();
  }
}
