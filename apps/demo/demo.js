/* global TRTC, document, window, location, history, navigator, fetch, crypto */
/* global setTimeout, URLSearchParams, ParleyStats, ParleyDevices */
// Parley demo: the basic call from the TRTC Web SDK v4 guide (join, publish, subscribe, leave)
// as a small product page, with mute buttons, screen sharing, a device picker and call stats.
// Plain scripts, no build step: /sdk/trtc.js defines the TRTC global, demo-stats.js the stats
// panel (ParleyStats) and demo-devices.js the device picker (ParleyDevices).
'use strict';

const PLAY_NOT_ALLOWED = 0x4043;
const SDK_MISSING =
  'The Parley SDK (/sdk/trtc.js) did not load. Open this page from a running Parley server.';
const STATUS_TEXT = {
  CONNECTING: 'Connecting',
  CONNECTED: 'Connected',
  RECONNECTING: 'Reconnecting',
  DISCONNECTED: 'Offline',
};
const BAN_REASONS = {
  kick: 'the same user ID joined from another tab or device',
  banned: 'you were removed by the room owner',
  'room-disband': 'the room was closed',
};
// [not muted, muted] and [not sharing, sharing]: the button's label and tooltip.
const MUTE_LABELS = { audio: ['Mute', 'Unmute'], video: ['Stop video', 'Start video'] };
const MUTE_TIPS = {
  audio: ['Turn off microphone', 'Turn on microphone'],
  video: ['Turn off camera', 'Turn on camera'],
};
const SCREEN_LABELS = ['Share screen', 'Stop sharing'];
const SCREEN_TIPS = ['Show your screen to everyone', 'Stop showing your screen'];

const $ = (id) => document.getElementById(id);

// Everything that belongs to the current call; leave() resets it.
const call = {
  client: null,
  localStream: null,
  screenStream: null, // the screen share, published as this user's auxiliary stream
  roomId: '',
  userId: '',
  joined: false,
  peers: new Set(),
  remoteMuted: new Map(), // userId -> {audio, video}, from the mute-* events (main streams)
  blocked: new Set(), // remote streams whose playback the browser's autoplay policy blocked
};

// ---- Small UI helpers ----

function randomRoomId() {
  return String(1000 + Math.floor(Math.random() * 999000)); // 4 to 6 digits
}

function randomChars(n) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alphabet[b % 36]).join('');
}

function initials(name) {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] || '?').slice(0, 2);
  return letters.toUpperCase();
}

// One readable line for an RtcError (message, code, extraCode) or any other thrown value.
function describeError(err) {
  if (typeof err === 'string') return err;
  const code = err?.getCode?.();
  const extra = err?.getExtraCode?.();
  const details = [];
  if (code !== undefined) details.push('code 0x' + code.toString(16));
  if (extra !== undefined && extra !== null) details.push('extra code ' + extra);
  const message = err?.message || String(err);
  return details.length ? `${message} (${details.join(', ')})` : message;
}

function showError(context, err) {
  console.error(context, err);
  $('error-text').textContent = `${context}: ${describeError(err)}`;
  $('error').hidden = false;
}

function toast(text) {
  const el = document.createElement('div');
  el.className = 'toast';
  el.textContent = text;
  $('toasts').append(el);
  setTimeout(() => el.remove(), 4000);
}

function setStatus(state) {
  $('status').dataset.state = state;
  $('status').textContent = STATUS_TEXT[state] || state;
}

function setJoining(busy) {
  $('join-btn').disabled = busy;
  $('join-btn').textContent = busy ? 'Joining…' : 'Join';
}

function showCallView(inCall) {
  $('join-view').hidden = inCall;
  $('call-view').hidden = !inCall;
  $('room-info').hidden = !inCall;
}

function inviteUrl(keepOtherParams) {
  const url = new URL(location.href);
  if (!keepOtherParams) url.search = '';
  url.hash = '';
  url.searchParams.set('roomId', call.roomId);
  return url.href;
}

async function copyInvite() {
  const link = inviteUrl(false);
  try {
    await navigator.clipboard.writeText(link);
    toast('Invite link copied');
  } catch {
    // No clipboard API outside secure contexts (plain http on a LAN address): let the user copy.
    window.prompt('Copy this invite link:', link);
  }
}

// ---- Video tiles ----

// A remote tile shows the avatar when its stream has no video or the video is muted, and (main
// streams) the muted-microphone badge when there is no audio or it is muted.
function renderTile(tile) {
  if (!tile) return;
  const main = tile.dataset.type === 'main';
  const muted = (main && call.remoteMuted.get(tile.dataset.userId)) || {};
  tile.classList.toggle('no-video', tile.dataset.hasVideo !== 'true' || !!muted.video);
  tile.classList.toggle('audio-muted', main && (tile.dataset.hasAudio !== 'true' || !!muted.audio));
}

function setTileMedia(tile, stream) {
  if (!tile) return;
  tile.dataset.hasAudio = String(stream.hasAudio());
  tile.dataset.hasVideo = String(stream.hasVideo());
  renderTile(tile);
}

function remoteTile(streamId) {
  const body = $('remote-' + streamId);
  return body ? body.closest('.tile') : null;
}

function cloneTile(label) {
  const tile = $('remote-tile-template').content.firstElementChild.cloneNode(true);
  tile.querySelector('.badge').textContent = label;
  tile.setAttribute('aria-label', label);
  return tile;
}

function createRemoteTile(stream) {
  const userId = stream.getUserId();
  const type = stream.getType?.() || 'main';
  const tile = cloneTile(type === 'auxiliary' ? `${userId} (screen)` : userId);
  tile.dataset.userId = userId;
  tile.dataset.streamId = stream.getId();
  tile.dataset.type = type;
  tile.querySelector('.tile-video').id = 'remote-' + stream.getId();
  tile.querySelector('.avatar').textContent = initials(userId);
  $('tiles').append(tile);
  updateLayout();
  return tile;
}

// mute-audio, unmute-audio, mute-video, unmute-video {userId}: about the user's main stream.
function setRemoteMuted(userId, kind, muted) {
  call.remoteMuted.set(userId, { ...call.remoteMuted.get(userId), [kind]: muted });
  for (const tile of document.querySelectorAll('.tile.remote[data-type="main"]')) {
    if (tile.dataset.userId === userId) renderTile(tile);
  }
}

// No event tells a newcomer that someone muted before: start from the client's state.
function loadRemoteMuted(userId) {
  const entry = call.client?.getRemoteMutedState?.().find((s) => s.userId === userId);
  if (entry) call.remoteMuted.set(userId, { audio: entry.audioMuted, video: entry.videoMuted });
}

// Column and row counts let the CSS size tiles so that all of them fit the viewport at 16:9.
function updateLayout() {
  const tiles = $('tiles');
  const count = tiles.children.length;
  const cols = count <= 1 ? 1 : count <= 4 ? 2 : count <= 9 ? 3 : 4;
  tiles.style.setProperty('--cols', cols);
  tiles.style.setProperty('--rows', Math.ceil(count / cols));
}

// ---- Playback ----

// Autoplay policies may block remote audio until the user interacts with the page.
function handlePlayError(stream, err, what) {
  if (err?.getCode?.() === PLAY_NOT_ALLOWED) {
    call.blocked.add(stream);
    $('enable-audio-btn').hidden = false;
  } else {
    showError(`Could not play ${what}`, err);
  }
}

async function playStream(stream, elementId, what, options) {
  try {
    await stream.play(elementId, options);
  } catch (err) {
    handlePlayError(stream, err, what);
  }
}

function resumePlayback() {
  for (const stream of call.blocked) {
    Promise.resolve()
      .then(() => stream.resume())
      .catch((err) => showError('Could not start audio', err));
  }
  call.blocked.clear();
  $('enable-audio-btn').hidden = true;
}

function onStreamSubscribed(stream) {
  const tile = remoteTile(stream.getId()) || createRemoteTile(stream);
  if (tile.dataset.type === 'main') loadRemoteMuted(stream.getUserId());
  setTileMedia(tile, stream);
  const objectFit = tile.dataset.type === 'auxiliary' ? 'contain' : 'cover'; // never crop a screen
  playStream(stream, 'remote-' + stream.getId(), `${stream.getUserId()}'s stream`, { objectFit });
}

function onStreamRemoved(stream) {
  call.blocked.delete(stream);
  remoteTile(stream.getId())?.remove();
  updateLayout();
}

// ---- Participants ----

function personItem(userId, isSelf) {
  const li = $('person-template').content.firstElementChild.cloneNode(true);
  li.dataset.userId = userId;
  li.querySelector('.avatar-sm').textContent = initials(userId);
  li.querySelector('.person-name').textContent = isSelf ? `${userId} (you)` : userId;
  return li;
}

function renderPeople() {
  const people = [call.userId, ...call.peers].map((id, i) => personItem(id, i === 0));
  $('participant-list').replaceChildren(...people);
  $('participant-count').textContent = String(people.length);
}

function onPeerJoin(userId) {
  call.peers.add(userId);
  renderPeople();
  if (call.joined) toast(`${userId} joined`); // peer-join also fires for those already here
}

function onPeerLeave(userId) {
  call.peers.delete(userId);
  call.remoteMuted.delete(userId);
  renderPeople();
  toast(`${userId} left`);
}

// ---- Microphone and camera ----

function setMuted(kind, muted) {
  const btn = $(kind === 'audio' ? 'mic-btn' : 'cam-btn');
  btn.disabled = !call.localStream;
  btn.dataset.muted = String(muted);
  btn.setAttribute('aria-pressed', String(muted));
  btn.classList.toggle('off', muted);
  btn.querySelector('.label').textContent = MUTE_LABELS[kind][muted ? 1 : 0];
  btn.dataset.tip = MUTE_TIPS[kind][muted ? 1 : 0];
  const tile = $('local-tile');
  if (kind === 'video') tile.classList.toggle('no-video', muted || !call.localStream?.hasVideo());
  else tile.classList.toggle('audio-muted', muted && !!call.localStream);
}

function toggleMute(kind) {
  const stream = call.localStream;
  if (!stream) return;
  const muted = $(kind === 'audio' ? 'mic-btn' : 'cam-btn').dataset.muted !== 'true';
  const method = (muted ? 'mute' : 'unmute') + (kind === 'audio' ? 'Audio' : 'Video');
  if (stream[method]() !== false) setMuted(kind, muted); // false: no such track to (un)mute
}

// ---- Screen sharing ----

function screenShareSupported() {
  try {
    return typeof TRTC.isScreenShareSupported === 'function' && !!TRTC.isScreenShareSupported();
  } catch {
    return false;
  }
}

function setSharing(sharing, busy = false) {
  const btn = $('screen-btn');
  btn.disabled = busy;
  btn.setAttribute('aria-pressed', String(sharing));
  btn.classList.toggle('active', sharing);
  btn.querySelector('.label').textContent = SCREEN_LABELS[sharing ? 1 : 0];
  btn.dataset.tip = SCREEN_TIPS[sharing ? 1 : 0];
}

function createScreenTile() {
  const tile = cloneTile('Your screen');
  tile.id = 'local-screen-tile';
  tile.classList.replace('remote', 'local');
  tile.dataset.type = 'auxiliary';
  tile.querySelector('.tile-video').id = 'local-screen-video';
  tile.querySelector('.muted-badge').remove();
  $('local-tile').after(tile);
  updateLayout();
}

async function startScreenShare() {
  const client = call.client;
  setSharing(false, true);
  let stream;
  try {
    stream = TRTC.createStream({ userId: call.userId, audio: false, screen: true });
    await stream.initialize();
  } catch (err) {
    setSharing(false);
    // Closing the browser's picker is a choice, not a failure.
    if (err?.name === 'NotAllowedError') return toast('Screen sharing cancelled');
    return showError('Could not share your screen', err);
  }
  if (call.client !== client) return stream.close(); // left while the picker was open
  call.screenStream = stream;
  // The browser's own "Stop sharing" button (or the shared window closing).
  stream.on('screen-sharing-stopped', () => call.screenStream === stream && stopScreenShare());
  setSharing(true);
  createScreenTile();
  await playStream(stream, 'local-screen-video', 'your screen', {
    objectFit: 'contain',
    mirror: false,
  });
  try {
    await client.publish(stream, { isAuxiliary: true });
  } catch (err) {
    if (call.screenStream !== stream) return; // stopped meanwhile
    showError('Could not send your screen', err);
    await stopScreenShare();
  }
}

async function stopScreenShare() {
  const { client, screenStream } = call;
  if (!screenStream) return;
  call.screenStream = null;
  if (client) await quietly(() => client.unpublish(screenStream));
  await quietly(() => screenStream.close());
  $('local-screen-tile')?.remove();
  updateLayout();
  setSharing(false);
}

function toggleScreenShare() {
  return call.screenStream ? stopScreenShare() : startScreenShare();
}

// ---- The call ----

async function fetchUserSig(userId) {
  const res = await fetch('/dev/usersig?userId=' + encodeURIComponent(userId));
  if (res.status === 404) {
    throw new Error(
      'dev mode is off on this server, so it does not hand out userSigs. ' +
        'Your app must create the userSig on its own backend and pass it to TRTC.createClient().',
    );
  }
  if (!res.ok) throw new Error(`the server answered ${res.status} when asked for a userSig`);
  return res.json();
}

function createClient({ sdkAppId, userId, userSig }, useStringRoomId) {
  const client = TRTC.createClient({ mode: 'rtc', sdkAppId, userId, userSig, useStringRoomId });
  // Handlers go on before join() so that streams already in the room are not missed.
  client.on('stream-added', ({ stream }) => {
    stream.on('error', (err) => handlePlayError(stream, err, `${stream.getUserId()}'s stream`));
    Promise.resolve()
      .then(() => client.subscribe(stream))
      .catch((err) => showError(`Could not subscribe to ${stream.getUserId()}`, err));
  });
  client.on('stream-subscribed', ({ stream }) => onStreamSubscribed(stream));
  client.on('stream-removed', ({ stream }) => onStreamRemoved(stream));
  client.on('stream-updated', ({ stream }) => setTileMedia(remoteTile(stream.getId()), stream));
  client.on('mute-audio', ({ userId }) => setRemoteMuted(userId, 'audio', true));
  client.on('unmute-audio', ({ userId }) => setRemoteMuted(userId, 'audio', false));
  client.on('mute-video', ({ userId }) => setRemoteMuted(userId, 'video', true));
  client.on('unmute-video', ({ userId }) => setRemoteMuted(userId, 'video', false));
  client.on('peer-join', ({ userId }) => onPeerJoin(userId));
  client.on('peer-leave', ({ userId }) => onPeerLeave(userId));
  client.on('connection-state-changed', ({ state }) => setStatus(state));
  client.on('client-banned', ({ reason, message }) => {
    showError('You left the room', BAN_REASONS[reason] || message || reason);
    leave();
  });
  client.on('error', (err) => {
    showError('The call ended because of an error', err);
    leave();
  });
  ParleyStats.attach(client, { userId, peers: () => [...call.peers] });
  return client;
}

async function join(event) {
  event.preventDefault();
  $('error').hidden = true;
  if (typeof TRTC === 'undefined') return showError('Cannot join', SDK_MISSING);
  const roomId = $('room-id').value.trim();
  const userId = $('user-id').value.trim();
  const useStringRoomId = !/^\d+$/.test(roomId); // TRTC room numbers are digits only
  setJoining(true);
  let client;
  try {
    const cred = await fetchUserSig(userId);
    call.userId = cred.userId || userId;
    call.roomId = roomId;
    client = call.client = createClient({ ...cred, userId: call.userId }, useStringRoomId);
    setStatus('CONNECTING');
    await client.join({ roomId: useStringRoomId ? roomId : Number(roomId) });
  } catch (err) {
    showError('Could not join the room', err);
    await leave();
    setJoining(false);
    return;
  }
  if (call.client !== client) return; // banned or failed while joining; leave() cleaned up
  call.joined = true;
  enterCall();
  await publishLocal(client);
}

function enterCall() {
  $('room-name').textContent = call.roomId;
  $('local-name').textContent = `You (${call.userId})`;
  $('local-tile').querySelector('.avatar').textContent = initials(call.userId);
  $('screen-btn').hidden = !screenShareSupported();
  setSharing(false);
  renderPeople();
  updateLayout();
  showCallView(true);
  history.replaceState(null, '', inviteUrl(true)); // a reload lands in the same room
  $('leave-btn').focus();
}

// Opens camera and microphone, previews them in the local tile and publishes them.
async function publishLocal(client) {
  let stream;
  try {
    stream = TRTC.createStream({ userId: call.userId, audio: true, video: true });
    await stream.initialize();
  } catch (err) {
    showError('Could not open your camera or microphone (you can still watch and listen)', err);
    return;
  }
  if (call.client !== client) return stream.close(); // left while the permission prompt was open
  call.localStream = stream;
  setMuted('audio', false);
  setMuted('video', false);
  ParleyDevices.setStreamReady(true);
  await playStream(stream, 'local-video', 'your camera preview');
  try {
    await client.publish(stream);
  } catch (err) {
    showError('Could not send your camera and microphone', err);
  }
}

// Teardown steps fail when the connection is already gone; that must not stop the others.
async function quietly(step) {
  try {
    await step();
  } catch (err) {
    console.warn('Ignored while leaving:', err);
  }
}

async function leave() {
  const { client, localStream, screenStream } = call;
  if (!client) return;
  Object.assign(call, { client: null, localStream: null, screenStream: null, joined: false });
  $('leave-btn').disabled = true;
  ParleyStats.detach();
  ParleyDevices.setStreamReady(false);
  for (const stream of [screenStream, localStream]) {
    if (!stream) continue;
    await quietly(() => client.unpublish(stream));
    await quietly(() => stream.close());
  }
  await quietly(() => client.leave());
  client.off('*');
  resetCallView();
}

function resetCallView() {
  document.querySelectorAll('.tile.remote, #local-screen-tile').forEach((tile) => tile.remove());
  $('local-video').replaceChildren();
  call.peers.clear();
  call.remoteMuted.clear();
  call.blocked.clear();
  $('enable-audio-btn').hidden = true;
  $('leave-btn').disabled = false;
  setMuted('audio', false);
  setMuted('video', false);
  setSharing(false);
  updateLayout();
  setStatus('DISCONNECTED');
  setJoining(false);
  showCallView(false);
  $('join-btn').focus();
}

function init() {
  const params = new URLSearchParams(location.search);
  $('room-id').value = params.get('roomId') || randomRoomId();
  $('user-id').value = params.get('userId') || 'user_' + randomChars(4);
  $('join-form').addEventListener('submit', join);
  $('leave-btn').addEventListener('click', leave);
  $('copy-link-btn').addEventListener('click', copyInvite);
  $('enable-audio-btn').addEventListener('click', resumePlayback);
  $('mic-btn').addEventListener('click', () => toggleMute('audio'));
  $('cam-btn').addEventListener('click', () => toggleMute('video'));
  $('screen-btn').addEventListener('click', toggleScreenShare);
  $('error-close').addEventListener('click', () => ($('error').hidden = true));
  ParleyStats.init();
  ParleyDevices.init({ getStream: () => call.localStream, onError: showError, notify: toast });
  // Tell the room right away when the tab closes instead of waiting for a timeout.
  window.addEventListener('pagehide', () => call.client?.leave().catch(() => {}));
  if (typeof TRTC === 'undefined') return showError('Parley is unavailable', SDK_MISSING);
  $('sdk-version').textContent = TRTC.VERSION ? `SDK ${TRTC.VERSION}` : '';
  TRTC.checkSystemRequirements?.()
    .then(({ result }) => result || showError('Calls are not supported', 'WebRTC is missing'))
    .catch(() => {});
}

init();
