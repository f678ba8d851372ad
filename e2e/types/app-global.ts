/**
 * A TRTC Web SDK v4 application as written against `@types/trtc-js-sdk` 4.8.0: a script
 * (no import) using the global `TRTC` that the `<script src="trtc.js">` tag defines, typed
 * by its `export as namespace TRTC` (`TRTC.Client`, `TRTC.LocalStream`, ...). It uses every
 * function, method and event that those types declare.
 *
 * It is never run: types.test.ts compiles it unchanged against @types/trtc-js-sdk
 * (tsconfig.theirs-global.json, which proves this is valid code for those types) and
 * against Parley's packages/sdk/dist/global.d.ts (tsconfig.ours-global.json).
 */

type GlobalCredentials = Pick<TRTC.ClientConfig, 'sdkAppId' | 'userId' | 'userSig'>;

class GlobalRtcApp {
  client: TRTC.Client;
  localStream: TRTC.Nullable<TRTC.LocalStream> = null;
  remoteStreams: TRTC.RemoteStream[] = [];
  muted: TRTC.RemoteMutedState[] = [];

  constructor(
    private readonly credentials: GlobalCredentials,
    private readonly roomId: number,
  ) {
    const config: TRTC.ClientConfig = {
      mode: 'rtc',
      ...credentials,
      useStringRoomId: false,
      streamId: 'stream',
      userDefineRecordId: 'record',
      pureAudioPushMode: 2,
    };
    this.client = TRTC.createClient(config);
    const turn: TRTC.TurnServerConfig = {
      url: 'turn:turn.example.com:3478',
      username: 'user',
      credential: 'secret',
    };
    this.client.setProxyServer('wss://proxy.example.com');
    this.client.setTurnServer(turn);
    this.client.setDefaultMuteRemoteStreams(false);
    this.listen();
  }

  private listen(): void {
    const client = this.client;
    const onAdded: TRTC.Callback<TRTC.RemoteStreamInfo> = (event) => {
      client.subscribe(event.stream, { audio: true, video: false });
    };
    client.on('stream-added', onAdded);
    client.on('stream-subscribed', (event) => {
      const stream = event.stream;
      this.remoteStreams.push(stream);
      stream.on('player-state-changed', (e) => {
        console.log(e.type, e.state, e.reason);
        if (e.state === 'PAUSED') stream.resume();
      });
      stream.play('remote_' + stream.getId(), { objectFit: 'contain', muted: false });
    });
    client.on('stream-removed', (event) => {
      event.stream.stop();
      this.remoteStreams = this.remoteStreams.filter((s) => s !== event.stream);
    });
    client.on('stream-updated', (event: TRTC.RemoteStreamInfo) => {
      console.log(event.stream.getType(), event.stream.hasAudio(), event.stream.hasVideo());
    });
    client.on('connection-state-changed', (event) => {
      const state: TRTC.ConnectionState = event.state;
      console.log(event.prevState, state);
    });
    const onUser = (event: TRTC.RemoteUserInfo): void => console.log(event.userId);
    client.on('peer-join', onUser);
    client.on('peer-leave', onUser);
    client.on('mute-audio', onUser);
    client.on('mute-video', onUser);
    client.on('unmute-audio', onUser);
    client.on('unmute-video', onUser);
    client.on('client-banned', (error: TRTC.RtcError) => {
      alert('you were removed from the room: ' + error.message + ' ' + error.getCode());
    });
    client.on('network-quality', (event: TRTC.NetworkQuality) => {
      console.log(event.uplinkNetworkQuality, event.downlinkNetworkQuality);
    });
    client.on('error', (error) => console.error('client error ' + error.getCode(), error));
    client.off('peer-join', onUser);
    client.off('*');
  }

  async start(): Promise<void> {
    const join: TRTC.JoinOptions = { roomId: this.roomId, privateMapKey: 'key' };
    await this.client.join(join);
    const config: TRTC.StreamConfig = {
      userId: this.credentials.userId,
      audio: true,
      video: true,
      microphoneId: 'default',
      cameraId: 'default',
      mirror: true,
    };
    const stream = TRTC.createStream(config);
    stream.setAudioProfile('standard');
    const preset: TRTC.VideoProfileString = '480p';
    stream.setVideoProfile(preset);
    const profile: TRTC.Profile = { width: 640, height: 480, frameRate: 15, bitrate: 900 };
    stream.setVideoProfile(profile);
    stream.on('screen-sharing-stopped', () => console.log('share stopped'));
    await stream.initialize();
    stream.setVideoContentHint('motion');
    const options: TRTC.PlayOptions = { objectFit: 'cover', muted: true };
    await stream.play('local_stream', options);
    await this.client.publish(stream);
    this.localStream = stream;
  }

  async controls(speaker: string, div: HTMLDivElement): Promise<void> {
    const stream = this.localStream;
    if (!stream) return;
    const ok: boolean = stream.muteAudio() && stream.unmuteAudio();
    console.log(ok, stream.muteVideo(), stream.unmuteVideo(), stream.getUserId());
    await stream.switchDevice('video', 'environment');
    await stream.switchDevice('audio', 'default');
    const video = stream.getVideoTrack();
    if (video) {
      await stream.removeTrack(video);
      await stream.addTrack(video);
      await stream.replaceTrack(video);
    }
    const audio: TRTC.Nullable<MediaStreamTrack> = stream.getAudioTrack();
    console.log(audio?.label, stream.hasAudio(), stream.hasVideo(), stream.getId());
    for (const remote of this.remoteStreams) {
      await remote.setAudioOutput(speaker);
      remote.setAudioVolume(0.5);
      if (remote.getAudioLevel() > 0.1) console.log(remote.getUserId(), 'speaks');
      const frame = remote.getVideoFrame();
      if (frame) div.style.backgroundImage = `url(${frame})`;
    }
    await stream.play(div);
  }

  async screen(): Promise<void> {
    const share = TRTC.createStream({
      userId: 'share_' + this.credentials.userId,
      audio: false,
      video: false,
      screen: true,
      screenAudio: true,
    });
    const preset: TRTC.ScreenProfileString = '720p';
    share.setScreenProfile(preset);
    share.setScreenProfile({ width: 1280, height: 720, frameRate: 5, bitrate: 1200 });
    await share.initialize();
  }

  async stats(): Promise<void> {
    const client = this.client;
    const transport: TRTC.TransportStats = await client.getTransportStats();
    const localAudio: TRTC.LocalAudioStatsMap = await client.getLocalAudioStats();
    const localVideo: TRTC.LocalVideoStatsMap = await client.getLocalVideoStats();
    const remoteAudio: TRTC.RemoteAudioStatsMap = await client.getRemoteAudioStats();
    const remoteVideo: TRTC.RemoteVideoStatsMap = await client.getRemoteVideoStats();
    console.log(transport.rtt);
    const sent: TRTC.SentMediaStats | undefined = localAudio[this.credentials.userId];
    const localV: TRTC.LocalVideoStats | undefined = localVideo[this.credentials.userId];
    console.log(sent?.bytesSent, sent?.packetsSent, localV?.framesEncoded, localV?.frameWidth);
    Object.keys(remoteAudio).forEach((userId) => {
      const a: TRTC.RemoteAudioStats = remoteAudio[userId];
      const received: TRTC.ReceivedMediaStats = a;
      console.log(received.bytesReceived, received.packetsReceived, received.packetsLost);
    });
    Object.keys(remoteVideo).forEach((userId) => {
      const v: TRTC.RemoteVideoStats = remoteVideo[userId];
      console.log(v.framesDecoded, v.frameWidth, v.frameHeight);
    });
    this.muted = client.getRemoteMutedState();
  }

  async live(): Promise<void> {
    const role: TRTC.Role = 'anchor';
    await this.client.switchRole(role);
    const user: TRTC.MixUser = { userId: this.credentials.userId, pureAudio: true };
    const mix: TRTC.MixTranscodeConfig = { streamId: 'mix', videoWidth: 640, mixUsers: [user] };
    await this.client.startMixTranscode(mix);
    await this.client.stopMixTranscode();
  }

  async stop(): Promise<void> {
    const stream = this.localStream;
    if (stream) {
      await this.client.unpublish(stream);
      stream.close();
    }
    for (const remote of this.remoteStreams) await this.client.unsubscribe(remote);
    await this.client.leave();
  }
}

async function globalMain(credentials: GlobalCredentials): Promise<void> {
  const level: TRTC.Logger.LogLevel['DEBUG'] = TRTC.Logger.LogLevel.DEBUG;
  TRTC.Logger.setLogLevel(level);
  TRTC.Logger.enableUploadLog();
  TRTC.Logger.disableUploadLog();
  const check: TRTC.CheckResult = await TRTC.checkSystemRequirements();
  const { detail } = check;
  if (!check.result || !detail.isBrowserSupported || !detail.isWebRTCSupported) return;
  console.log(TRTC.VERSION, detail.isMediaDevicesSupported, TRTC.isScreenShareSupported());
  const devices: MediaDeviceInfo[] = [
    ...(await TRTC.getDevices()),
    ...(await TRTC.getCameras()),
    ...(await TRTC.getMicrophones()),
    ...(await TRTC.getSpeakers()),
  ];
  console.log(devices.length);
  const app = new GlobalRtcApp(credentials, 1234);
  try {
    await app.start();
  } catch (error) {
    const rtcError = error as TRTC.RtcError;
    console.error(rtcError.name, rtcError.message, rtcError.getCode());
  }
  await app.controls('default', document.createElement('div'));
  await app.screen();
  await app.stats();
  await app.live();
  await app.stop();
}

globalMain({ sdkAppId: 1400000001, userId: 'alice', userSig: 'sig' }).catch(console.error);
