/**
 * A TRTC Web SDK v4 application as written against the types shipped in the `trtc-js-sdk`
 * npm package (4.15.22, `index.d.ts`, `import TRTC from 'trtc-js-sdk'`), in the style of
 * TRTC's v4 guides and API examples. It uses every function of the TRTC namespace, every
 * Client, Stream, LocalStream and RemoteStream method and every event those types declare.
 *
 * It is never run: types.test.ts compiles it unchanged against their index.d.ts
 * (tsconfig.theirs-default.json, which proves this is valid v4 code) and against Parley's
 * dist/index.d.ts (tsconfig.ours-default.json).
 */
import TRTC from 'trtc-js-sdk';
import type {
  AudioProfileString,
  CheckResult,
  Client,
  ClientConfig,
  ClientEvent,
  ClientEventMap,
  ConnectionState,
  ErrorCode,
  JoinOptions,
  LocalAudioStatsMap,
  LocalStream,
  LocalVideoStatsMap,
  MixTranscodeConfig,
  MixUser,
  NetworkQuality,
  PlaybackOptions,
  PublishCDNStreamOptions,
  RemoteAudioStatsMap,
  RemoteMutedState,
  RemoteStream,
  RemoteStreamInfo,
  RemoteStreamType,
  RemoteStreamUpdatedInfo,
  RemoteUserInfo,
  RemoteVideoStatsMap,
  Role,
  RtcError,
  ScreenProfile,
  ScreenProfileString,
  SEIMessageEvent,
  SmallStreamProfile,
  Stream,
  StreamConfig,
  StreamEvent,
  StreamEventMap,
  TransportStats,
  TurnServerConfig,
  UserAudioVolume,
  VideoProfile,
  VideoProfileString,
} from 'trtc-js-sdk';

// ---- error codes: v4 apps compare getCode() with the documented numbers -------------------

const PLAY_NOT_ALLOWED: ErrorCode['PLAY_NOT_ALLOWED'] = 0x4043;
const CLIENT_BANNED: ErrorCode['CLIENT_BANNED'] = 0x4040;
const RECONNECTION_FAILED: Array<ErrorCode[keyof ErrorCode]> = [
  0x4006, // SIGNAL_CHANNEL_RECONNECTION_FAILED
  0x4007, // UPLINK_RECONNECTION_FAILED
  0x4008, // DOWNLINK_RECONNECTION_FAILED
];

function describeError(error: RtcError): string {
  const code = error.getCode();
  return `${error.name}: ${error.message} (code 0x${code.toString(16)})`;
}

function isRecoverable(error: RtcError): boolean {
  const code: number = error.getCode();
  switch (code) {
    case 0x1000: // INVALID_PARAMETER
    case 0x1001: // INVALID_OPERATION
    case 0x1002: // NOT_SUPPORTED
      return false;
    case 0x4004: // JOIN_ROOM_FAILED
    case 0x4041: // SERVER_TIMEOUT
    case 0x4042: // SUBSCRIPTION_TIMEOUT
      return true;
    default:
      return !RECONNECTION_FAILED.some((c) => c === code) && code !== CLIENT_BANNED;
  }
}

// ---- event names as constants (ClientEvent / StreamEvent) ---------------------------------

const STREAM_ADDED: ClientEvent['STREAM_ADDED'] = 'stream-added';
const PLAYER_STATE_CHANGED: StreamEvent['PLAYER_STATE_CHANGED'] = 'player-state-changed';

// ---- setup -----------------------------------------------------------------------------------

interface Credentials {
  sdkAppId: number;
  userId: string;
  userSig: string;
}

async function checkBrowser(): Promise<boolean> {
  TRTC.Logger.setLogLevel(TRTC.Logger.LogLevel.WARN);
  TRTC.Logger.enableUploadLog();
  console.log('TRTC Web SDK', TRTC.VERSION);
  const check: CheckResult = await TRTC.checkSystemRequirements();
  const { detail } = check;
  console.log(
    'browser',
    detail.isBrowserSupported,
    'webrtc',
    detail.isWebRTCSupported,
    'devices',
    detail.isMediaDevicesSupported,
    'h264',
    detail.isH264EncodeSupported && detail.isH264DecodeSupported,
    'vp8',
    detail.isVp8EncodeSupported && detail.isVp8DecodeSupported,
  );
  if (!TRTC.isScreenShareSupported()) console.log('screen sharing is not supported here');
  if (!TRTC.isSmallStreamSupported()) console.log('the small stream is not supported here');
  return check.result;
}

async function listDevices(): Promise<void> {
  const devices: MediaDeviceInfo[] = await TRTC.getDevices();
  const cameras = await TRTC.getCameras();
  const microphones = await TRTC.getMicrophones();
  const speakers: MediaDeviceInfo[] = await TRTC.getSpeakers();
  console.log(
    devices.length,
    speakers.map((s) => s.label),
  );
  for (const camera of cameras) console.log('camera', camera.deviceId, camera.label);
  for (const microphone of microphones) console.log('microphone', microphone.deviceId);
}

function makeClient(credentials: Credentials, mode: 'rtc' | 'live'): Client {
  const config: ClientConfig = {
    mode,
    sdkAppId: credentials.sdkAppId,
    userId: credentials.userId,
    userSig: credentials.userSig,
    useStringRoomId: false,
    autoSubscribe: true,
    enableAutoPlayDialog: true,
    streamId: `stream_${credentials.userId}`,
    userDefineRecordId: 'record',
    pureAudioPushMode: 1,
    enableSEI: true,
  };
  const client = TRTC.createClient(config);
  // Self-hosted TURN and proxy, before join().
  const turn: TurnServerConfig = {
    url: 'turn:turn.example.com:3478',
    username: 'user',
    credential: 'secret',
  };
  client.setTurnServer(turn);
  client.setTurnServer([turn, { ...turn, url: 'turns:turn.example.com:443?transport=tcp' }]);
  client.setProxyServer('wss://proxy.example.com:443');
  client.setProxyServer({
    websocketProxy: 'wss://proxy.example.com/ws',
    loggerProxy: 'https://proxy.example.com/log',
    scheduleProxy: 'https://proxy.example.com/schedule',
    unifiedProxy: 'proxy.example.com:443',
  });
  return client;
}

// ---- the call ----------------------------------------------------------------------------------

class RtcApp {
  private readonly client: Client;
  private localStream: LocalStream | null = null;
  private shareStream: LocalStream | null = null;
  private readonly remoteStreams = new Map<string, RemoteStream>();
  private readonly members = new Set<string>();

  constructor(
    private readonly credentials: Credentials,
    private readonly roomId: number,
  ) {
    this.client = makeClient(credentials, 'rtc');
    this.handleEvents();
  }

  async join(privateMapKey?: string): Promise<void> {
    const options: JoinOptions = { roomId: this.roomId };
    if (privateMapKey) options.privateMapKey = privateMapKey;
    try {
      await this.client.join(options);
    } catch (error) {
      console.error('join failed', describeError(error as RtcError));
      if (isRecoverable(error as RtcError)) return this.join(privateMapKey);
      throw error;
    }
    await this.createLocalStream();
    await this.client.publish(this.localStream!);
  }

  private async createLocalStream(): Promise<void> {
    const [camera] = await TRTC.getCameras();
    const [microphone] = await TRTC.getMicrophones();
    const config: StreamConfig = {
      userId: this.credentials.userId,
      audio: true,
      video: true,
      cameraId: camera?.deviceId,
      microphoneId: microphone?.deviceId,
      mirror: true,
    };
    const stream = TRTC.createStream(config);
    const audioProfile: AudioProfileString = 'high';
    stream.setAudioProfile(audioProfile);
    const videoProfile: VideoProfileString = '720p';
    stream.setVideoProfile(videoProfile);
    stream.setVideoProfile({ width: 640, height: 360, frameRate: 15, bitrate: 600 });
    const custom: VideoProfile = { width: 1280, height: 720 };
    stream.setVideoProfile(custom);
    stream.on('error', (error) => {
      if (error.getCode() === PLAY_NOT_ALLOWED) {
        // autoplay blocked: resume on the next click
        document.addEventListener('click', () => void stream.resume(), { once: true });
      }
    });
    stream.on('device-auto-recovered', (event) => {
      console.log('device recovered', event.isCamera, event.isMicrophone, event.cameraId);
      console.log(event.microphoneId);
    });
    stream.on('connection-state-changed', (event) => {
      console.log('publisher connection', event.prevState, '->', event.state);
    });
    try {
      await stream.initialize();
    } catch (error) {
      const e = error as RtcError;
      switch (e.name) {
        case 'NotReadableError':
          alert('the camera or microphone is in use by another application');
          return;
        case 'NotAllowedError':
          alert('please allow camera and microphone access');
          return;
        default:
          console.error(describeError(e));
          throw error;
      }
    }
    stream.setVideoContentHint('motion');
    const options: PlaybackOptions = { objectFit: 'cover', muted: true, mirror: true };
    await stream.play('local_stream', options);
    this.localStream = stream;
  }

  private handleEvents(): void {
    const { client } = this;
    client.on('error', (error) => {
      console.error('client error', describeError(error));
      location.reload();
    });
    client.on('client-banned', (event) => {
      console.warn(`banned (${event.reason}): ${event.message}`);
    });
    client.on('peer-join', (event: RemoteUserInfo) => this.members.add(event.userId));
    client.on('peer-leave', (event) => this.members.delete(event.userId));
    client.on(STREAM_ADDED, (event: RemoteStreamInfo) => {
      const remoteStream = event.stream;
      const type: RemoteStreamType = remoteStream.getType();
      if (type === 'main' && remoteStream.getUserId().startsWith('share_')) return;
      client.subscribe(remoteStream, { audio: true, video: true }).catch((error: RtcError) => {
        console.error('subscribe failed', describeError(error));
      });
    });
    client.on('stream-subscribed', (event) => {
      const remoteStream = event.stream;
      const id = remoteStream.getId();
      this.remoteStreams.set(id, remoteStream);
      remoteStream.on(PLAYER_STATE_CHANGED, (e) => {
        if (e.state === 'PAUSED' && e.reason === 'pause') void remoteStream.resume();
        console.log(`${e.type} player of ${id} is ${e.state} (${e.reason})`);
      });
      remoteStream.on('error', (error) => {
        if (error.getCode() === 0x4043) void remoteStream.resume();
      });
      remoteStream
        .play('remote_' + id, { objectFit: 'contain' })
        .catch((error: RtcError) => console.warn(describeError(error)));
    });
    client.on('stream-removed', (event) => {
      const remoteStream = event.stream;
      remoteStream.stop();
      this.remoteStreams.delete(remoteStream.getId());
    });
    client.on('stream-updated', (event: RemoteStreamUpdatedInfo) => {
      const remoteStream = event.stream;
      console.log('updated', remoteStream.hasAudio(), remoteStream.hasVideo());
      for (const user of event.mixUserList ?? []) {
        console.log(user.userId, user.hasAudio, user.hasVideo, user.hasAuxiliary);
      }
    });
    client.on('connection-state-changed', (event) => {
      const state: ConnectionState = event.state;
      if (event.prevState === 'RECONNECTING' && state === 'CONNECTED') console.log('back');
    });
    client.on('mute-audio', (event) => console.log(event.userId, 'muted audio'));
    client.on('unmute-audio', (event) => console.log(event.userId, 'unmuted audio'));
    client.on('mute-video', (event) => console.log(event.userId, 'muted video'));
    client.on('unmute-video', (event) => console.log(event.userId, 'unmuted video'));
    client.on('network-quality', (event: NetworkQuality) => {
      console.log(
        `uplink ${event.uplinkNetworkQuality} (rtt ${event.uplinkRTT} ms, loss ${event.uplinkLoss}%)`,
        `downlink ${event.downlinkNetworkQuality} (rtt ${event.downlinkRTT}, loss ${event.downlinkLoss})`,
      );
    });
    client.on('audio-volume', (event) => {
      event.result.forEach(({ userId, audioVolume, stream }: UserAudioVolume) => {
        if (audioVolume > 10) console.log(`${userId} (${stream.getId()}) is speaking`);
      });
    });
    client.enableAudioVolumeEvaluation(200);
    client.enableAudioVolumeEvaluation(2000, true);
    client.on('sei-message', (event: SEIMessageEvent) => {
      const text = new TextDecoder().decode(event.data);
      console.log(event.userId, event.seiPayloadType, event.isFromAuxiliary, text);
    });
  }

  // ---- controls ----------------------------------------------------------------------------

  toggleMicrophone(on: boolean): boolean {
    const stream = this.localStream;
    if (!stream) return false;
    return on ? stream.unmuteAudio() : stream.muteAudio();
  }

  toggleCamera(on: boolean): boolean {
    const stream = this.localStream;
    if (!stream) return false;
    return on ? stream.unmuteVideo() : stream.muteVideo();
  }

  async switchCamera(deviceId: string): Promise<void> {
    await this.localStream?.switchDevice('video', deviceId);
    await this.localStream?.switchDevice('audio', 'default');
  }

  /** Turns the camera off completely (light off) and on again, as the addTrack guide does. */
  async cameraOff(): Promise<void> {
    const stream = this.localStream;
    const videoTrack = stream?.getVideoTrack();
    if (stream && videoTrack) {
      await stream.removeTrack(videoTrack);
      videoTrack.stop();
    }
  }

  async cameraOn(): Promise<void> {
    const videoStream = TRTC.createStream({
      userId: this.credentials.userId,
      audio: false,
      video: true,
    });
    await videoStream.initialize();
    const track = videoStream.getVideoTrack();
    if (track && this.localStream) await this.localStream.addTrack(track);
  }

  async replaceWithCanvas(canvas: HTMLCanvasElement): Promise<void> {
    const [track] = canvas.captureStream(15).getVideoTracks();
    if (track) await this.localStream?.replaceTrack(track);
  }

  setMicrophoneGain(volume: number): boolean {
    return this.localStream?.setAudioCaptureVolume(volume).valueOf() ?? false;
  }

  async shareScreen(): Promise<void> {
    const profile: ScreenProfileString = '1080p';
    const share = TRTC.createStream({ audio: false, screen: true, screenAudio: false });
    share.setScreenProfile(profile);
    const custom: ScreenProfile = { width: 1920, height: 1080, frameRate: 15, bitrate: 1600 };
    share.setScreenProfile(custom);
    share.setVideoContentHint('detail');
    share.setVideoContentHint('text');
    await share.initialize();
    share.on('screen-sharing-stopped', () => void this.stopSharing());
    await this.client.publish(share, { isAuxiliary: true });
    this.shareStream = share;
  }

  async stopSharing(): Promise<void> {
    const share = this.shareStream;
    if (!share) return;
    await this.client.unpublish(share);
    share.close();
    this.shareStream = null;
  }

  /** App-given tracks instead of the devices (e.g. after beauty filters). */
  async publishCustomTracks(): Promise<void> {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const stream = TRTC.createStream({
      userId: this.credentials.userId,
      audioSource: media.getAudioTracks()[0],
      videoSource: media.getVideoTracks()[0],
      facingMode: 'user',
    });
    await stream.initialize();
    await this.client.publish(stream);
  }

  // ---- playback ---------------------------------------------------------------------------

  async playEverywhere(speakerId: string, container: HTMLDivElement): Promise<void> {
    for (const stream of this.remoteStreams.values()) {
      await stream.setAudioOutput(speakerId);
      stream.setAudioVolume(0.8);
      const level: number = stream.getAudioLevel();
      if (level > 0.1) console.log(stream.getUserId(), 'is speaking');
      const frame = stream.getVideoFrame();
      if (frame) {
        const img = document.createElement('img');
        img.src = frame;
        container.appendChild(img);
      }
      const audioTrack: MediaStreamTrack | null = stream.getAudioTrack();
      console.log(audioTrack?.readyState);
      stream.muteAudio();
      stream.unmuteAudio();
      stream.muteVideo();
      stream.unmuteVideo();
      stream.off('player-state-changed', onPlayerState);
      stream.off('*');
    }
    await this.localStream?.play(container, { objectFit: 'fill', mirror: false });
  }

  // ---- live mode ----------------------------------------------------------------------------

  static async watchLive(credentials: Credentials, roomId: string): Promise<Client> {
    const client = makeClient(credentials, 'live');
    const role: Role = 'audience';
    await client.join({ roomId, role });
    return client;
  }

  static async goOnStage(client: Client, stream: LocalStream): Promise<void> {
    await client.switchRole('anchor');
    await client.publish(stream);
  }

  // ---- stats, SEI, quality -------------------------------------------------------------------

  async report(): Promise<void> {
    const { client } = this;
    const transport: TransportStats = await client.getTransportStats();
    console.log('rtt', transport.rtt);
    for (const [userId, rtt] of Object.entries(transport.downlinksRTT)) console.log(userId, rtt);
    const localAudio: LocalAudioStatsMap = await client.getLocalAudioStats();
    const localVideo: LocalVideoStatsMap = await client.getLocalVideoStats();
    const remoteAudio: RemoteAudioStatsMap = await client.getRemoteAudioStats();
    const remoteVideo: RemoteVideoStatsMap = await client.getRemoteVideoStats();
    const remoteShare = await client.getRemoteVideoStats('auxiliary');
    const mine = this.credentials.userId;
    console.log(localAudio[mine]?.bytesSent, localAudio[mine]?.packetsSent);
    const v = localVideo[mine];
    if (v) console.log(v.bytesSent, v.packetsSent, v.framesEncoded, v.framesSent, v.frameWidth);
    for (const [userId, a] of Object.entries(remoteAudio)) {
      console.log(userId, a.bytesReceived, a.packetsReceived, a.packetsLost);
    }
    for (const [userId, r] of Object.entries({ ...remoteVideo, ...remoteShare })) {
      console.log(userId, r.framesDecoded, r.frameWidth, r.frameHeight, r.packetsLost);
    }
    const muted: RemoteMutedState[] = client.getRemoteMutedState();
    for (const m of muted) {
      console.log(m.userId, m.hasAudio, m.hasVideo, m.hasSmall, m.audioMuted, m.videoMuted);
    }
  }

  sendCaption(text: string): void {
    const data = new TextEncoder().encode(text).buffer as ArrayBuffer;
    this.client.sendSEIMessage(data);
    this.client.sendSEIMessage(data, { seiPayloadType: 243 });
  }

  // ---- dual stream, CDN, mixing ----------------------------------------------------------------

  async dualStream(remote: RemoteStream): Promise<void> {
    const small: SmallStreamProfile = { width: 160, height: 120, bitrate: 100, frameRate: 15 };
    this.client.setSmallStreamProfile(small);
    await this.client.enableSmallStream();
    await this.client.setRemoteVideoStreamType(remote, 'small');
    await this.client.setRemoteVideoStreamType(remote, 'big');
    await this.client.disableSmallStream();
  }

  async relay(): Promise<void> {
    const cdn: PublishCDNStreamOptions = { streamId: 'relay', appId: 1, bizId: 2, url: 'rtmp://x' };
    await this.client.startPublishCDNStream(cdn);
    await this.client.startPublishCDNStream({});
    await this.client.stopPublishCDNStream();
    const user: MixUser = {
      userId: this.credentials.userId,
      roomId: this.roomId,
      pureAudio: false,
      width: 640,
      height: 480,
      locationX: 0,
      locationY: 0,
      zOrder: 1,
      streamType: 'main',
      renderMode: 0,
    };
    const config: MixTranscodeConfig = {
      mode: 'manual',
      streamId: 'mixed',
      videoWidth: 1280,
      videoHeight: 720,
      videoBitrate: 1500,
      videoFramerate: 15,
      videoGOP: 2,
      audioSampleRate: 48000,
      audioBitrate: 64,
      audioChannels: 1,
      backgroundColor: 0,
      backgroundImage: '',
      mixUsers: [user],
    };
    await this.client.startMixTranscode(config);
    await this.client.stopMixTranscode();
    await this.client.callExperimentalAPI('updatePrivateMapKey', { privateMapKey: 'key' });
  }

  // ---- leaving -------------------------------------------------------------------------------

  async leave(): Promise<void> {
    const stream = this.localStream;
    if (stream) {
      await this.client.unpublish(stream);
      stream.stop();
      stream.close();
    }
    for (const remote of this.remoteStreams.values()) await this.client.unsubscribe(remote);
    await this.client.leave();
    this.client.off('stream-added', onStreamAdded);
    this.client.off('*');
    this.client.destroy();
  }
}

// Handlers kept in variables (to pass to off()) are typed with the event maps.
const onStreamAdded = (event: ClientEventMap['stream-added']): void => {
  console.log('stream added', event.stream.getUserId());
};
const onPlayerState = (event: StreamEventMap['player-state-changed']): void => {
  console.log(event.type, event.state);
};

/** Any stream kind: both have the Stream methods. */
function label(stream: Stream): string {
  return `${stream.getUserId()}/${stream.getId()}`;
}

// ---- the v4 guide's promise style ----------------------------------------------------------

export function guide(credentials: Credentials, roomId: number): void {
  const client = TRTC.createClient({ mode: 'rtc', ...credentials });
  client.on('stream-added', (event) => {
    client.subscribe(event.stream);
  });
  client.on('stream-subscribed', (event) => {
    event.stream.play('remote_stream-' + event.stream.getId());
  });
  client
    .join({ roomId })
    .catch((error: RtcError) => console.error('join failed ' + error))
    .then(() => {
      const localStream = TRTC.createStream({
        userId: credentials.userId,
        audio: true,
        video: true,
      });
      localStream
        .initialize()
        .catch((error: RtcError) => console.error('failed initialize localStream ' + error))
        .then(() => {
          console.log(label(localStream));
          localStream.play('local_stream');
          client.publish(localStream).then(() => console.log('published'));
        });
    });
}

export async function main(credentials: Credentials): Promise<void> {
  if (!(await checkBrowser())) return;
  await listDevices();
  const app = new RtcApp(credentials, 1234);
  await app.join();
  app.toggleMicrophone(false);
  app.toggleCamera(true);
  await app.switchCamera('environment');
  await app.cameraOff();
  await app.cameraOn();
  await app.replaceWithCanvas(document.createElement('canvas'));
  app.setMicrophoneGain(0.5);
  await app.shareScreen();
  await app.stopSharing();
  await app.publishCustomTracks();
  await app.playEverywhere('default', document.createElement('div'));
  await app.report();
  app.sendCaption('hello');
  await app.relay();
  await app.leave();
  const live = await RtcApp.watchLive(credentials, 'live-room');
  await RtcApp.goOnStage(live, TRTC.createStream({ audio: true, video: true }));
  TRTC.Logger.disableUploadLog();
  TRTC.Logger.setLogLevel(TRTC.Logger.LogLevel.NONE);
}
