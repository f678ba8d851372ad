/**
 * One Parley node: HTTP, WebSocket signaling at /signal, rooms and the media engine.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ErrorCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  ProtocolErrorCode,
  roomIdProblem,
  userIdProblem,
  type ClientRequestData,
  type ClientRequestMethod,
  type ClientRequestResult,
} from '@parley/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { Operations } from './Operations.js';
import { Cluster } from './cluster/Cluster.js';
import { WhipCluster } from './whip/whipCluster.js';
import { TaskRouter } from './api/taskRouting.js';
import { clusterTasks } from './cluster/clusterTasks.js';
import { hashToken } from './cluster/ClusterRoom.js';
import { registerClusterMetrics } from './cluster/clusterMetrics.js';
import { sharedDevCredentials } from './cluster/devCredentials.js';
import { keys as clusterKeys } from './cluster/records.js';
import { Authenticator } from './auth/Authenticator.js';
import type { ParleyConfig } from './config.js';
import { createHttpApp } from './http/HttpApp.js';
import { createLogApi } from './http/logApi.js';
import { bearerToken } from './http/respond.js';
import { createLogger, type Logger } from './logger.js';
import { LogStore } from './logs/LogStore.js';
import { LogTokens } from './logs/LogTokens.js';
import { NetworkEdge } from './net/NetworkEdge.js';
import { refuseUpgrade } from './net/UpgradeGate.js';
import { createWebServer, type WebServer } from './net/webServer.js';
import type { MediaEngine } from './media/MediaEngine.js';
import { MediasoupEngine } from './media/mediasoup/MediasoupEngine.js';
import { EngineMediaStats } from './metrics/EngineMediaStats.js';
import { Participant } from './room/Participant.js';
import type { Room } from './room/Room.js';
import { RoomManager } from './room/RoomManager.js';
import { RoomManagerDirectory } from './room/RoomManagerDirectory.js';
import { ServerError } from './ServerError.js';
import { Session } from './signal/Session.js';
import { HeldSink } from './signal/HeldSink.js';
import { SignalConnection } from './signal/SignalConnection.js';
import { iceServersFor } from './turn/turnConfig.js';
import { MediaOutService } from './mediaOut/MediaOutService.js';
import { relayCallback } from './callbacks/relayEvents.js';
import { MediaOutTasks } from './mediaOut/MediaOutTasks.js';
import { join } from 'node:path';
import { CloudRecordings } from './recording/CloudRecordings.js';
import { S3Uploader } from './recording/S3Uploader.js';
import { describeMissing } from './mediaOut/availability.js';
import { createWhipHttp } from './whip/whipHttp.js';
import { WhipService } from './whip/WhipService.js';

/** Frames above the protocol limit get an error; far above it the socket is closed. */
const HARD_MAX_PAYLOAD = 16 * MAX_MESSAGE_BYTES;

export interface ParleyServerOptions {
  config: ParleyConfig;
  log?: Logger;
  engine?: MediaEngine;
  /** Tests: a media-out service of their own (a fake pipeline program, say). */
  mediaOut?: MediaOutService;
  sdkDir?: string;
  demoDir?: string;
  adminDir?: string;
}

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export class ParleyServer {
  readonly log: Logger;
  readonly engine: MediaEngine;
  readonly rooms: RoomManager;
  /** SDK log lines uploaded with `TRTC.Logger.enableUploadLog()`. */
  readonly logs: LogStore;
  /** Server API, callbacks, metrics and admin console, over the room directory. */
  readonly ops: Operations;
  /** Mixing and CDN relay (GStreamer pipelines fed by the rooms' producers). */
  readonly mediaOut: MediaOutService;
  /** Cloud recording tasks (CreateCloudRecording): media-out jobs into files. */
  readonly recordings: CloudRecordings;
  /** WHIP ingest and WHEP playback (whip/). */
  readonly whip: WhipService;
  readonly #directory: RoomManagerDirectory;
  readonly #logTokens = new LogTokens();
  readonly #logTokenOf = new WeakMap<Session, string>();
  readonly #config: ParleyConfig;
  readonly #auth: Authenticator;
  readonly #http: WebServer;
  readonly #edge: NetworkEdge;
  readonly #wss: WebSocketServer;
  readonly #sessionsByToken = new Map<string, Session>();
  readonly #connections = new Set<SignalConnection>();
  /** Sockets that carry a session (joined or resumed). */
  readonly #joined = new WeakSet<SignalConnection>();
  /** The SDK version each joined participant named (a switched session keeps it). */
  readonly #sdkVersionOf = new WeakMap<Participant, string>();
  /** Sockets whose join is being handled: a second join or resume on them is refused. */
  readonly #joining = new WeakSet<SignalConnection>();
  #sweeper: NodeJS.Timeout | undefined;
  #ready = false;
  /** Cluster mode (PARLEY_REDIS_URL): made once the port is known. */
  #cluster: Cluster | null = null;
  /** Cluster mode: WHIP/WHEP sessions across the nodes (made with the cluster). */
  #whipCluster: WhipCluster | null = null;
  /** Cluster mode: server API tasks run on a node of their room (api/taskRouting.ts). */
  #taskRouter: TaskRouter | null = null;

  constructor(options: ParleyServerOptions) {
    const { config } = options;
    this.#config = config;
    this.log = options.log ?? createLogger();
    this.engine =
      options.engine ??
      new MediasoupEngine({
        workers: config.workers,
        listenIps: config.rtcListenIps,
        ...(config.announcedIp ? { announcedIp: config.announcedIp } : {}),
        ...(config.rtcPortRange ? { portRange: config.rtcPortRange } : {}),
        ...(config.workerMaxLoad ? { spillLoad: config.workerMaxLoad } : {}),
        enableTcp: config.iceTcp,
        log: this.log,
      });
    this.mediaOut =
      options.mediaOut ??
      new MediaOutService({
        log: this.log,
        maxJobs: config.mediaOutMaxJobs,
        maxJobsPerRoom: config.mediaOutMaxJobsPerRoom,
        urlTemplate: (sdkAppId) =>
          config.apps.find((a) => a.sdkAppId === sdkAppId)?.cdnUrlTemplate ?? null,
        allowedHosts: (sdkAppId) =>
          config.apps.find((a) => a.sdkAppId === sdkAppId)?.cdnAllowedHosts ?? null,
        // Relay events go with the room's other callbacks, durably (ops is made below).
        relayStatus: (status) => this.ops.callbacks.enqueue(relayCallback(status)),
        // A mix may take users of another room of this node (this.rooms is made below).
        room: (sdkAppId, ref) => this.rooms.get(sdkAppId, ref),
        // Cluster: the other room may have nobody on this node; its members are relayed in.
        openRoom: async (sdkAppId, ref, holder) =>
          this.#cluster ? this.rooms.open(sdkAppId, ref, holder) : this.rooms.get(sdkAppId, ref),
        crossRoomRefusal: (sdkAppId) =>
          config.apps.find((a) => a.sdkAppId === sdkAppId)?.requireRoomPermission
            ? 'mixing users of another room is off for this application: it enforces room permission (privateMapKey), which such a mix would get around'
            : null,
        mixImagesDir: config.mixImagesDir,
      });
    this.#edge = new NetworkEdge(config, this.log);
    this.rooms = new RoomManager(this.engine, this.log, this.#edge.limits);
    this.recordings = new CloudRecordings({
      rooms: this.rooms,
      dir: join(config.dataDir ?? config.stateDir, 'recordings'),
      log: this.log.child({ part: 'recording' }),
      unavailable: () => {
        const a = this.mediaOut.availability;
        if (!a) return 'media-out has not started';
        return a.available ? null : `install ${describeMissing(a)}`;
      },
      // Recording events go with the room's other callbacks, durably (ops is made below).
      emit: (event) => this.ops.callbacks.enqueue(event),
      uploader: new S3Uploader(config.recordingStorage, this.log.child({ part: 'recording' })),
      keepUploaded: config.recordingStorage.keepUploaded,
    });
    this.rooms.on('room-created', (room) => this.#watchRoom(room));
    this.#auth = new Authenticator(config.apps);
    this.#directory = new RoomManagerDirectory(this.rooms, {
      endViewers: (sdkAppId, ref, userIds, message) =>
        this.whip.endViewers(sdkAppId, ref, userIds, message),
      // In a cluster a room appears and ends once for the whole cluster (Cluster's events).
      roomEvents: !config.cluster,
      removeElsewhere: config.cluster
        ? (sdkAppId, ref, userIds, reason, message) =>
            this.#cluster
              ? this.#cluster.removeElsewhere(sdkAppId, ref, userIds, reason, message)
              : Promise.resolve([])
        : null,
      roomExists: config.cluster
        ? async (sdkAppId, ref) =>
            this.#cluster ? (await this.#cluster.members(sdkAppId, ref)).length > 0 : false
        : null,
    });
    this.ops = new Operations({
      config,
      directory: this.#directory,
      media: new EngineMediaStats(this.rooms, { intervalMs: config.statsIntervalMs }),
      log: this.log,
      adminDir: options.adminDir ?? here('../../../apps/admin/'),
      nodes: () => this.#cluster?.nodeViews() ?? null,
      mediaOut: {
        tasks: new MediaOutTasks(this.mediaOut, this.rooms),
        checkUrl: (sdkAppId, url) => this.mediaOut.checkUrl(sdkAppId, url),
        urlTemplate: (sdkAppId) =>
          config.apps.find((a) => a.sdkAppId === sdkAppId)?.cdnUrlTemplate ?? null,
      },
      recordings: this.recordings,
      taskRouter: () => this.#taskRouter,
    });
    this.logs = new LogStore({
      ...(config.dataDir ? { dir: config.dataDir } : {}),
      log: this.log,
    });
    this.whip = new WhipService({
      rooms: this.rooms,
      engine: this.engine,
      config: config.whip,
      log: this.log,
      auth: {
        checkRate: (ip) => this.#edge.checkJoin(ip, 'whip'),
        verifyUser: (sdkAppId, userId, userSig) => this.#auth.verifyUser(sdkAppId, userId, userSig),
        verifyRoomPermission: (sdkAppId, userId, ref, key) =>
          this.#auth.verifyRoomPermission(sdkAppId, userId, ref, key).privilege,
        checkJoin: (sdkAppId, ref, userId, hasKey, member) =>
          this.ops.checkJoin(sdkAppId, ref, userId, hasKey, member),
      },
      noteJoin: (participant, ip) => this.#directory.noteJoin(participant, 'whip', ip),
      ...(config.turn ? { iceServers: (userId) => iceServersFor(config.turn!, userId) } : {}),
      // Cluster: a WHIP member is admitted and replicated like a v4 join (whipCluster.ts).
      cluster: () => this.#whipCluster,
    });
    const whipHttp = createWhipHttp(this.whip, this.log, {
      trustProxy: config.trustProxy ?? false,
      cluster: () => this.#whipCluster,
    });
    const app = createHttpApp({
      sdkDir: options.sdkDir ?? here('../../sdk/dist/'),
      demoDir: options.demoDir ?? here('../../../apps/demo/'),
      dev: config.devMode ? { sdkAppId: config.sdkAppId, secretKey: config.secretKey } : null,
      isReady: () => this.#ready,
      outOfService: () => this.#cluster?.steppedDown ?? null,
      operations: (req, res, url) => this.ops.handleHttp(req, res, url),
      whip: whipHttp,
      log: this.log,
      origins: this.#edge.origins,
      logs: createLogApi({
        store: this.logs,
        tokens: this.#logTokens,
        // Dev mode hands out UserSigs to anyone already; its logs are no more secret.
        canRead: (sdkAppId, authorization) => {
          if (config.devMode) return true;
          const secret = bearerToken(authorization);
          return secret !== undefined && this.#auth.isAppSecret(sdkAppId, secret);
        },
      }),
    });
    this.#http = createWebServer(config.tls, (req, res) => void app(req, res));
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: HARD_MAX_PAYLOAD });
    this.#http.on('upgrade', (req, socket, head) => {
      let path: string;
      try {
        path = new URL(req.url ?? '/', 'http://localhost').pathname;
      } catch {
        refuseUpgrade(socket, 400, 'malformed request URL');
        return;
      }
      if (path !== '/signal') {
        refuseUpgrade(socket, 404, `no WebSocket endpoint at ${path.slice(0, 100)}; use /signal`);
        return;
      }
      const admitted = this.#edge.upgrades.admit(req, socket);
      if (!admitted) return;
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws, admitted.ip));
    });
  }

  async listen(): Promise<{ port: number; host: string }> {
    await this.engine.start();
    await this.mediaOut.start();
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#config.port, this.#config.host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    this.#sweeper = setInterval(() => this.#sweep(), 500);
    const address = this.#http.address() as AddressInfo;
    if (this.#config.cluster) await this.#startCluster(address.port);
    this.#ready = true;
    return { port: address.port, host: this.#config.host };
  }

  /** What the server API sees of the rooms (tests call it directly). */
  get directory(): RoomManagerDirectory {
    return this.#directory;
  }

  /** This node's cluster part (null on a single node). */
  get cluster(): Cluster | null {
    return this.#cluster;
  }

  async #startCluster(port: number): Promise<void> {
    const config = this.#config;
    const limits = this.#edge.limits;
    const cluster = new Cluster({
      config: config.cluster!,
      bans: this.ops.bans,
      history: this.ops.history,
      rooms: this.rooms,
      engine: this.engine,
      log: this.log,
      port,
      host: config.host,
      ...(config.announcedIp ? { announcedIp: config.announcedIp } : {}),
      tls: !!config.tls,
      sessionTimeoutMs: config.sessionTimeoutMs,
      maxRooms: limits.maxRooms,
      maxMembersPerRoom: limits.maxMembersPerRoom,
      maxLoad: config.workers * (config.workerMaxLoad ?? 600),
      removeLocal: (sdkAppId, ref, userIds, reason, message) =>
        reason === 'room-disband'
          ? this.#directory.dismissLocal(sdkAppId, ref, userIds, message)
          : this.#directory.removeUsers(sdkAppId, ref, userIds, reason, message, false),
    });
    this.#cluster = cluster;
    this.#whipCluster = new WhipCluster(cluster, this.whip, this.rooms, this.log);
    this.#taskRouter = new TaskRouter(
      clusterTasks(cluster, this.rooms),
      this.ops.taskActions,
      this.log.child({ part: 'api' }),
    );
    cluster.on('stepped-down', () => void this.#letClientsGo());
    cluster.on('nodes-changed', (urls) => {
      for (const session of this.#sessionsByToken.values()) {
        session.participant.sink?.notify('nodes', { urls });
      }
    });
    cluster.on('room-created', (sdkAppId, ref) =>
      this.#directory.reportRoom('created', sdkAppId, ref),
    );
    cluster.on('room-emptied', (sdkAppId, ref) =>
      this.#directory.reportRoom('closed', sdkAppId, ref),
    );
    cluster.on('member-reaped', (record) =>
      this.#directory.reportLeave(
        record.sdkAppId,
        record.room,
        record.state.userId,
        record.state.role,
        'timeout',
      ),
    );
    registerClusterMetrics(this.ops.metrics.registry, cluster);
    // Dev mode: a Redis that restarted empty gets the cluster's dev credentials back, so a node
    // started afterwards takes the same ones.
    const devCredentials = sharedDevCredentials(config);
    if (devCredentials) {
      cluster.redis.on('up', () => {
        cluster.redis.cmd
          .set(clusterKeys.devCredentials, devCredentials, 'NX')
          .catch((error: unknown) => this.log.warn({ err: error }, 'dev credentials not shared'));
      });
    }
    await cluster.start();
  }

  async close(): Promise<void> {
    this.#ready = false;
    clearInterval(this.#sweeper);
    await this.whip.close();
    for (const session of [...this.#sessionsByToken.values()]) await session.leave('leave');
    for (const connection of this.#connections) connection.terminate();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    await this.#cluster?.close();
    await this.recordings.close();
    await this.mediaOut.close();
    await this.engine.close();
    await this.logs.flushed();
    await this.ops.close();
  }

  // ---- internals ----

  /**
   * This node left the cluster (a later process took its id): its sessions go on there, so
   * they end here silently (no leave, no callback) and their clients resume on a live node.
   */
  async #letClientsGo(): Promise<void> {
    const sessions = [...this.#sessionsByToken.values()];
    for (const { participant } of sessions) this.#sessionsByToken.delete(participant.resumeToken);
    // Each is closed as moved (4042); the SDK resumes on the next node.
    await Promise.all(
      sessions.map(({ room, participant }) =>
        room.release(participant.userId, participant.epoch).catch((error: unknown) => {
          this.log.warn({ err: error, user: participant.userId }, 'letting a session go');
        }),
      ),
    );
    for (const connection of this.#connections) connection.terminate();
  }

  /** Forgets the sessions of participants that left (for whatever reason). */
  #watchRoom(room: Room): void {
    room.on('participant-left', (participant) => {
      const session = this.#sessionsByToken.get(participant.resumeToken);
      if (!session || session.participant !== participant) return;
      this.#sessionsByToken.delete(participant.resumeToken);
      const logToken = this.#logTokenOf.get(session);
      if (logToken !== undefined) this.#logTokens.retire(logToken);
    });
  }

  #onSocket(ws: WebSocket, remoteAddress: string): void {
    const signal = new SignalConnection(ws, this.log, remoteAddress, this.#edge.messageLimiter());
    this.#connections.add(signal);
    signal.on('close', () => this.#connections.delete(signal));
    const { joinTimeoutMs } = this.#edge.limits;
    const joinTimer = setTimeout(() => {
      if (this.#joined.has(signal)) return;
      this.log.info({ conn: signal.id, ip: remoteAddress }, 'closing: no join in time');
      signal.close(4008, `no join within ${joinTimeoutMs} ms`);
    }, joinTimeoutMs);
    signal.on('close', () => clearTimeout(joinTimer));
    // Before join only `join` and `resume` are accepted.
    signal.setHandlers(
      <K extends ClientRequestMethod>(method: K, data: ClientRequestData<K>) =>
        this.#preJoinRequest(signal, method, data) as Promise<ClientRequestResult<K>>,
      () => undefined,
    );
  }

  async #preJoinRequest(
    signal: SignalConnection,
    method: ClientRequestMethod,
    data: ClientRequestData<ClientRequestMethod>,
  ): Promise<unknown> {
    if ((method === 'join' || method === 'resume') && this.#joining.has(signal)) {
      throw ServerError.wrongState(`${method} while a join on this connection is in progress`);
    }
    try {
      if (method === 'join') {
        this.#edge.checkJoin(signal.remoteAddress, signal.id);
        this.#joining.add(signal);
        const started = performance.now();
        const joinData = data as ClientRequestData<'join'>;
        return await this.#join(signal, joinData)
          .then(
            (result) => {
              this.ops.joinFinished((performance.now() - started) / 1000);
              return result;
            },
            (error: unknown) => {
              if (error instanceof ServerError) {
                this.ops.joinFinished(0, { ...error.payload, sdkAppId: joinData.sdkAppId });
              }
              throw error;
            },
          )
          .finally(() => this.#joining.delete(signal));
      }
      if (method === 'resume')
        return await this.#resume(signal, data as ClientRequestData<'resume'>);
    } catch (error) {
      if (
        error instanceof ServerError &&
        error.payload.code === ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED
      ) {
        // The answer goes out first; then this socket has nothing left to do.
        setTimeout(() => signal.close(4001, 'signal channel setup failed'), 100);
      }
      throw error;
    }
    throw ServerError.wrongState(`${method} is not accepted before join`);
  }

  #checkProtocol(version: number): void {
    if (version !== PROTOCOL_VERSION) {
      throw new ServerError(
        ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED,
        `this Parley server speaks signaling protocol ${PROTOCOL_VERSION} but the SDK speaks ${version}: load the SDK from this server's /sdk/trtc.js`,
        ProtocolErrorCode.INCOMPATIBLE_PROTOCOL,
      );
    }
  }

  async #join(signal: SignalConnection, data: ClientRequestData<'join'>) {
    this.#checkProtocol(data.protocolVersion);
    const userProblem = userIdProblem(data.userId);
    if (userProblem) throw ServerError.invalid(userProblem);
    if (data.userSig === '') {
      throw new ServerError(ErrorCode.SIGNAL_CHANNEL_SETUP_FAILED, 'userSig is empty', 70002);
    }
    this.#auth.verifyUser(data.sdkAppId, data.userId, data.userSig);
    const roomProblem = roomIdProblem(data.room);
    if (roomProblem) throw ServerError.invalid(roomProblem);
    const grant = data.privateMapKey
      ? this.#auth.verifyRoomPermission(data.sdkAppId, data.userId, data.room, data.privateMapKey)
      : null;
    const refusal = this.ops.checkJoin(data.sdkAppId, data.room, data.userId, !!data.privateMapKey);
    if (refusal)
      throw new ServerError(ErrorCode.JOIN_ROOM_FAILED, refusal.message, refusal.extraCode);
    const role = data.mode === 'live' ? data.role : 'anchor';
    const lighter = this.#cluster?.redirectFor();
    if (lighter) {
      throw new ServerError(
        ErrorCode.JOIN_ROOM_FAILED,
        `this node (${this.#cluster!.nodeId}) is over its load limit (PARLEY_WORKER_MAX_LOAD × PARLEY_WORKERS); join at ${lighter}`,
        ProtocolErrorCode.NODE_OVERLOADED,
        lighter,
      );
    }
    const epoch = this.#cluster
      ? await this.#cluster.admit(data.sdkAppId, data.room, data.userId)
      : 0;
    const participant = new Participant(
      data.userId,
      role,
      randomBytes(8).toString('hex'),
      randomBytes(24).toString('base64url'),
      data.autoSubscribe,
      data.mode,
    );
    if (grant) participant.privilege = grant.privilege;
    participant.epoch = epoch;
    // Notifications may flow as soon as the room has the participant.
    participant.sink = signal;
    this.#directory.noteJoin(participant, data.sdkVersion, signal.remoteAddress);
    this.#sdkVersionOf.set(participant, data.sdkVersion);
    const logToken = this.#logTokens.issue({
      sdkAppId: data.sdkAppId,
      room: data.room,
      userId: data.userId,
    });
    this.#cluster?.noteJoin(participant, {
      tokenHash: hashToken(participant.resumeToken),
      clientIp: signal.remoteAddress,
      sdkVersion: data.sdkVersion,
      // Another node resuming this session accepts the SDK's log uploads with it too.
      logToken,
    });
    this.#joined.add(signal);
    let joined;
    try {
      joined = await this.rooms.join(
        data.sdkAppId,
        data.room,
        participant,
        `user ${data.userId} joined room ${String(data.room.id)} from another connection`,
      );
    } catch (error) {
      this.#joined.delete(signal);
      this.#logTokens.retire(logToken);
      if (this.#cluster) await this.#cluster.abandon(data.sdkAppId, data.room, data.userId, epoch);
      throw error;
    }
    const { room, snapshot } = joined;
    if (this.#cluster?.steppedDown) {
      // The node left the cluster while this join was under way: the client goes elsewhere.
      await room.release(participant.userId, participant.epoch);
      this.#joined.delete(signal);
      this.#logTokens.retire(logToken);
      throw this.#cluster.leftCluster();
    }
    const session = this.#session(room, participant);
    this.#logTokenOf.set(session, logToken);
    this.#sessionsByToken.set(participant.resumeToken, session);
    session.attach(signal);
    this.log.info({ room: room.key, user: participant.userId, role, conn: signal.id }, 'joined');
    if (participant.autoSubscribe) {
      // After the join answer has gone out, so the SDK knows the streams before their offer.
      setImmediate(() => {
        room
          .subscribeToAll(participant)
          .catch((error: unknown) => this.log.warn({ err: error }, 'auto-subscribe failed'));
      });
    }
    return {
      ...snapshot,
      sessionId: participant.sessionId,
      resumeToken: participant.resumeToken,
      heartbeatMs: this.#config.heartbeatMs,
      sessionTimeoutMs: this.#config.sessionTimeoutMs,
      logToken,
      ...(this.#config.turn
        ? { iceServers: iceServersFor(this.#config.turn, participant.userId) }
        : {}),
      ...(this.#cluster ? { nodes: this.#cluster.signalUrls() } : {}),
    };
  }

  /** A session of `participant` in `room`; a new privateMapKey is checked as at join. */
  #session(room: Room, participant: Participant): Session {
    const session: Session = new Session(
      room,
      participant,
      this.log,
      () => this.mediaOut.forRoom(room),
      (privateMapKey) =>
        this.#auth.verifyRoomPermission(
          room.sdkAppId,
          participant.userId,
          room.ref,
          privateMapKey,
          ErrorCode.INVALID_PARAMETER,
        ).privilege,
      (current, data) => this.#switchRoom(current, data),
    );
    return session;
  }

  /**
   * `switch-room` (v5 switchRoom): the session's user leaves its room and enters another on the
   * same socket. Everything is checked as at join before anything changes; the new room is
   * entered before the old one is left, so a refusal (room full, too) leaves the user where it
   * was. The new room's notifications wait until the answer has gone out (HeldSink).
   */
  async #switchRoom(
    session: Session,
    data: ClientRequestData<'switch-room'>,
  ): Promise<ClientRequestResult<'switch-room'>> {
    const { room: oldRoom, participant: old, signal } = session;
    if (this.#cluster) {
      // The new room may have members on other nodes; admitting there is the join's work.
      throw new ServerError(
        ErrorCode.JOIN_ROOM_FAILED,
        'switch-room is not available on a cluster node: exit the room and enter the new one',
        ProtocolErrorCode.SWITCH_ROOM_UNAVAILABLE,
      );
    }
    if (!signal || old.sink !== signal) throw ServerError.wrongState('this session has no socket');
    if (data.room.kind !== oldRoom.ref.kind) {
      throw ServerError.invalid(
        `switch-room: the new room must be a ${oldRoom.ref.kind === 'number' ? 'numeric roomId' : 'strRoomId'} room like the current one`,
      );
    }
    if (data.room.id === oldRoom.ref.id) {
      throw ServerError.invalid(`switch-room: already in room ${String(data.room.id)}`);
    }
    const { sdkAppId } = oldRoom;
    if (data.userSig === '') {
      throw new ServerError(ErrorCode.JOIN_ROOM_FAILED, 'userSig is empty', 70002);
    }
    // A bad UserSig is refused with the account extraCode as at join; nothing changes.
    this.#auth.verifyUser(sdkAppId, old.userId, data.userSig, ErrorCode.JOIN_ROOM_FAILED);
    const roomProblem = roomIdProblem(data.room);
    if (roomProblem) throw ServerError.invalid(roomProblem);
    const grant = data.privateMapKey
      ? this.#auth.verifyRoomPermission(
          sdkAppId,
          old.userId,
          data.room,
          data.privateMapKey,
          ErrorCode.JOIN_ROOM_FAILED,
        )
      : null;
    const refusal = this.ops.checkJoin(sdkAppId, data.room, old.userId, !!data.privateMapKey);
    if (refusal)
      throw new ServerError(ErrorCode.JOIN_ROOM_FAILED, refusal.message, refusal.extraCode);
    const participant = new Participant(
      old.userId,
      old.role,
      randomBytes(8).toString('hex'),
      randomBytes(24).toString('base64url'),
      old.autoSubscribe,
      old.mode,
    );
    if (grant) participant.privilege = grant.privilege;
    const held = new HeldSink(signal.remoteAddress);
    participant.sink = held;
    const { room, snapshot } = await this.rooms.join(
      sdkAppId,
      data.room,
      participant,
      `user ${old.userId} joined room ${String(data.room.id)} from another connection`,
    );
    // In: now out of the old room (the others see peer-leave; its transports close). Without
    // a sink first, so the socket stays open.
    old.sink = null;
    await oldRoom.leave(old, 'leave');
    const sdkVersion = this.#sdkVersionOf.get(old) ?? 'unknown';
    this.#sdkVersionOf.set(participant, sdkVersion);
    this.#directory.noteJoin(participant, sdkVersion, signal.remoteAddress);
    const logToken = this.#logTokens.issue({ sdkAppId, room: data.room, userId: old.userId });
    const moved = this.#session(room, participant);
    this.#logTokenOf.set(moved, logToken);
    this.#sessionsByToken.set(participant.resumeToken, moved);
    this.log.info(
      { from: oldRoom.key, room: room.key, user: old.userId, conn: signal.id },
      'switched room',
    );
    // After the answer has gone out (it is sent when this promise settles).
    setImmediate(() => {
      participant.sink = null;
      if (signal.closing) {
        // The socket went while switching: the new session waits for a resume as any other.
        participant.disconnectedAt = signal.lastSeen;
      } else moved.attach(signal);
      held.release(participant.sink ?? held);
      if (participant.autoSubscribe && participant.sink) {
        room
          .subscribeToAll(participant)
          .catch((error: unknown) => this.log.warn({ err: error }, 'auto-subscribe failed'));
      }
    });
    return {
      ...snapshot,
      sessionId: participant.sessionId,
      resumeToken: participant.resumeToken,
      logToken,
    };
  }

  async #resume(signal: SignalConnection, data: ClientRequestData<'resume'>) {
    this.#checkProtocol(data.protocolVersion);
    if (this.#cluster?.steppedDown) throw this.#cluster.resumeUnavailable();
    const session = this.#sessionsByToken.get(data.resumeToken);
    if ((!session || session.closed) && this.#cluster) {
      const adopted = await this.#adopt(signal, data.resumeToken);
      if (adopted) return adopted;
    }
    if (!session || session.closed) {
      throw new ServerError(
        ErrorCode.SIGNAL_CHANNEL_RECONNECTION_FAILED,
        'the session to resume has ended (it timed out or left); join again',
        ProtocolErrorCode.SESSION_EXPIRED,
      );
    }
    session.attach(signal);
    this.#joined.add(signal);
    this.log.info(
      { room: session.room.key, user: session.participant.userId, conn: signal.id },
      'resumed',
    );
    setImmediate(() => session.resumed());
    return session.room.snapshotFor(session.participant);
  }

  /**
   * Cluster: resumes here a session whose node died (or let it go): the same user, streams and
   * subscriptions; the client republishes and gets a new subscriber connection.
   */
  async #adopt(signal: SignalConnection, resumeToken: string) {
    const cluster = this.#cluster!;
    this.#joining.add(signal);
    try {
      const found = await cluster.adopt(resumeToken).catch((error: unknown) => {
        // Redis out of reach: a refusal the SDK takes to the next node.
        if (error instanceof ServerError) throw error;
        this.log.warn({ err: error }, 'cluster resume lookup failed');
        return null;
      });
      if (!found) return null;
      const { record, epoch } = found;
      const { state } = record;
      const participant = new Participant(
        state.userId,
        state.role,
        state.sessionId,
        resumeToken,
        state.autoSubscribe,
        state.mode,
      );
      participant.epoch = epoch;
      participant.sink = signal;
      this.#directory.noteJoin(participant, record.sdkVersion, signal.remoteAddress);
      cluster.noteJoin(participant, {
        tokenHash: record.tokenHash,
        clientIp: signal.remoteAddress,
        sdkVersion: record.sdkVersion,
        ...(record.logToken ? { logToken: record.logToken } : {}),
      });
      this.#joined.add(signal);
      const { room, snapshot } = await this.rooms.adopt(record.sdkAppId, record.room, participant, {
        ...state,
        epoch,
      });
      if (cluster.steppedDown) {
        // The node left the cluster while this resume was under way: it goes on elsewhere.
        await room.release(participant.userId, participant.epoch);
        throw cluster.resumeUnavailable();
      }
      const session = this.#session(room, participant);
      this.#sessionsByToken.set(resumeToken, session);
      if (record.logToken) {
        this.#logTokens.register(record.logToken, {
          sdkAppId: record.sdkAppId,
          room: record.room,
          userId: state.userId,
        });
        this.#logTokenOf.set(session, record.logToken);
      }
      session.attach(signal);
      this.log.info(
        { room: room.key, user: state.userId, from: state.node, conn: signal.id },
        'resumed a session of another node',
      );
      setImmediate(() => room.adopted(participant));
      return snapshot;
    } catch (error) {
      this.#joined.delete(signal);
      throw error;
    } finally {
      this.#joining.delete(signal);
    }
  }

  /** Drops silent sockets and removes participants whose last sign of life is too old. */
  #sweep(): void {
    const now = Date.now();
    this.#logTokens.sweep();
    this.#edge.sweep();
    const timeout = this.#config.sessionTimeoutMs;
    const idleMs = this.#edge.limits.idleTimeoutMs ?? timeout;
    for (const connection of this.#connections) {
      if (now - connection.lastSeen > idleMs && !connection.closing) {
        this.log.info({ conn: connection.id, ip: connection.remoteAddress }, 'dropping: idle');
        // A live peer learns why; a dead one is dropped by close()'s own deadline.
        connection.close(4009, `idle: no message for ${idleMs} ms`);
      }
    }
    for (const session of [...this.#sessionsByToken.values()]) {
      const since = session.participant.disconnectedAt;
      if (since !== null && now - since > timeout) void session.leave('timeout');
    }
  }
}
