/* global TRTC, document, window, location, history, navigator, fetch, crypto */
/* global setTimeout, URLSearchParams */
// Parley demo: the basic call from the TRTC Web SDK v4 guide (join, publish, subscribe, leave)
// as a small product page. Plain script, no build step; /sdk/trtc.js defines the TRTC global.
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
const MUTE_LABELS = { audio: ['Mute', 'Unmute'], video: ['Stop video', 'Start video'] };

const $ = (id) => document.getElementById(id);

// Everything that belongs to the current call; leave() resets it.
const call = {
  client: null,
  localStream: null,
  roomId: '',
  userId: '',
  joined: false,
  peers: new Set(),
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

function setTileVideo(tile, hasVideo) {
  if (tile) tile.classList.toggle('no-video', !hasVideo);
}

function remoteTile(streamId) {
  const body = $('remote-' + streamId);
  return body ? body.closest('.tile') : null;
}

function createRemoteTile(stream) {
  const userId = stream.getUserId();
  const type = stream.getType?.() || 'main';
  const label = type === 'auxiliary' ? `${userId} (screen)` : userId;
  const tile = $('remote-tile-template').content.firstElementChild.cloneNode(true);
  tile.dataset.userId = userId;
  tile.dataset.streamId = stream.getId();
  tile.dataset.type = type;
  tile.querySelector('.tile-video').id = 'remote-' + stream.getId();
  tile.querySelector('.avatar').textContent = initials(userId);
  tile.querySelector('.badge').textContent = label;
  tile.setAttribute('aria-label', label);
  $('tiles').append(tile);
  updateLayout();
  return tile;
}

function setUserVideo(userId, hasVideo) {
  for (const tile of document.querySelectorAll('.tile.remote[data-type="main"]')) {
    if (tile.dataset.userId === userId) setTileVideo(tile, hasVideo);
  }
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
  setTileVideo(tile, stream.hasVideo());
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
  renderPeople();
  toast(`${userId} left`);
}

// ---- Local media controls ----

function setMuted(kind, muted) {
  const btn = $(kind === 'audio' ? 'mic-btn' : 'cam-btn');
  btn.disabled = !call.localStream;
  btn.dataset.muted = String(muted);
  btn.classList.toggle('off', muted);
  btn.querySelector('.label').textContent = MUTE_LABELS[kind][muted ? 1 : 0];
  if (kind === 'video') setTileVideo($('local-tile'), !muted && !!call.localStream?.hasVideo());
}

function toggleMute(kind) {
  const stream = call.localStream;
  if (!stream) return;
  const muted = $(kind === 'audio' ? 'mic-btn' : 'cam-btn').dataset.muted !== 'true';
  const method = (muted ? 'mute' : 'unmute') + (kind === 'audio' ? 'Audio' : 'Video');
  if (stream[method]() !== false) setMuted(kind, muted); // false: no such track to (un)mute
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
  client.on('stream-updated', ({ stream }) =>
    setTileVideo(remoteTile(stream.getId()), stream.hasVideo()),
  );
  client.on('mute-video', ({ userId }) => setUserVideo(userId, false));
  client.on('unmute-video', ({ userId }) => setUserVideo(userId, true));
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
  const { client, localStream } = call;
  if (!client) return;
  Object.assign(call, { client: null, localStream: null, joined: false });
  $('leave-btn').disabled = true;
  if (localStream) {
    await quietly(() => client.unpublish(localStream));
    await quietly(() => localStream.close());
  }
  await quietly(() => client.leave());
  client.off('*');
  resetCallView();
}

function resetCallView() {
  document.querySelectorAll('.tile.remote').forEach((tile) => tile.remove());
  $('local-video').replaceChildren();
  call.peers.clear();
  call.blocked.clear();
  $('enable-audio-btn').hidden = true;
  $('leave-btn').disabled = false;
  setMuted('audio', false);
  setMuted('video', false);
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
  $('error-close').addEventListener('click', () => ($('error').hidden = true));
  // Tell the room right away when the tab closes instead of waiting for a timeout.
  window.addEventListener('pagehide', () => call.client?.leave().catch(() => {}));
  if (typeof TRTC === 'undefined') return showError('Parley is unavailable', SDK_MISSING);
  $('sdk-version').textContent = TRTC.VERSION ? `SDK ${TRTC.VERSION}` : '';
  TRTC.checkSystemRequirements?.()
    .then(({ result }) => result || showError('Calls are not supported', 'WebRTC is missing'))
    .catch(() => {});
}

init();
