/* global document, window, fetch, sessionStorage, setInterval, setTimeout, btoa */
// Parley admin console: live rooms and participants (bitrates, network quality), remove /
// ban / dismiss, recent errors and callback deliveries. Plain script, no build step; talks
// to /admin/api/* with the credentials typed at sign-in (kept for this tab only).
'use strict';

const $ = (id) => document.getElementById(id);
let auth = sessionStorage.getItem('parley-admin-auth');
let refreshTimer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof window.Node ? child : String(child));
  }
  return node;
}

function bitrate(bps) {
  if (bps >= 1e6) return (bps / 1e6).toFixed(1) + ' Mbps';
  if (bps >= 1e3) return Math.round(bps / 1e3) + ' kbps';
  return Math.round(bps) + ' bps';
}

function since(ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

const time = (ms) => new Date(ms).toLocaleTimeString();
const roomLabel = (room) => (room.kind === 'number' ? String(room.id) : '"' + room.id + '"');

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.classList.add('show');
  setTimeout(() => t.classList.remove('show'), 2500);
}

async function api(path, body) {
  const res = await fetch('/admin/api/' + path, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    signOut('Your sign-in was refused: ' + (data.error || 'unauthorized'));
    throw new Error('unauthorized');
  }
  if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
  return data;
}

function quality(q) {
  const cls = q === 0 ? '' : q <= 2 ? 'good' : q === 3 ? 'fair' : 'bad';
  const bars = q === 0 ? 0 : q <= 2 ? 3 : q === 3 ? 2 : 1;
  const names = ['unknown', 'excellent', 'good', 'fair', 'poor', 'very bad'];
  const node = el('span', { class: 'q ' + cls, title: 'Network: ' + names[q] });
  for (let i = 0; i < 3; i++) node.append(el('i', { class: i < bars ? 'on' : '' }));
  return el('span', {}, node, ' ', names[q]);
}

function streamBadges(p) {
  const out = [];
  for (const s of p.streams) {
    const prefix = s.streamType === 'main' ? '' : 'screen ';
    if (s.hasVideo)
      out.push(el('span', { class: 'badge' + (s.videoMuted ? ' off' : '') }, prefix + 'video'));
    if (s.hasAudio)
      out.push(el('span', { class: 'badge' + (s.audioMuted ? ' off' : '') }, prefix + 'audio'));
  }
  return out.length ? out : [el('span', { class: 'muted' }, 'not publishing')];
}

const LAYER_WHY = {
  app: 'the stream asked for',
  estimate: 'its downlink estimate does not cover the big stream',
  hold: 'kept on the small stream after a sustained shortfall, until the path shows room',
};

/** Which stream of each dual stream publisher this participant gets, and why. */
function layerBadges(p) {
  return (p.videoLayers ?? [])
    .filter((v) => v.layer !== null)
    .map((v) =>
      el(
        'span',
        {
          class: 'badge layer' + (v.layer === 'small' && v.reason !== 'app' ? ' off' : ''),
          title: v.userId + ': ' + v.layer + ' stream — ' + LAYER_WHY[v.reason],
          'data-layer-of': v.userId,
        },
        (v.streamType === 'main' ? '' : 'screen ') +
          v.userId +
          ': ' +
          v.layer +
          ' (' +
          v.reason +
          ')',
      ),
    );
}

/** Asks before acting, as a destructive button should. */
function confirmAction(title, text, withDuration) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('ban-duration-row').hidden = !withDuration;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }),
  );
}

async function act(kind, room, userId) {
  const target = { sdkAppId: room.sdkAppId, room: room.room };
  const name = roomLabel(room.room);
  let ok;
  if (kind === 'dismiss') {
    ok = await confirmAction('Dismiss room ' + name + '?', 'Everyone in the room is disconnected.');
  } else if (kind === 'remove') {
    ok = await confirmAction(
      'Remove ' + userId + '?',
      userId + ' leaves room ' + name + ' and may join again.',
    );
  } else {
    ok = await confirmAction(
      'Ban ' + userId + '?',
      userId + ' leaves room ' + name + ' and cannot rejoin until the ban ends.',
      true,
    );
  }
  if (!ok) return;
  try {
    if (kind === 'ban')
      await api('ban', { ...target, userId, durationS: Number($('ban-duration').value) });
    else await api(kind, kind === 'dismiss' ? target : { ...target, userId });
    toast(
      kind === 'dismiss'
        ? 'Room ' + name + ' dismissed'
        : userId + (kind === 'ban' ? ' banned' : ' removed'),
    );
  } catch (error) {
    toast('Failed: ' + error.message);
  }
  refresh();
}

function renderRooms(rooms) {
  const box = $('rooms');
  box.replaceChildren();
  $('no-rooms').hidden = rooms.length > 0;
  for (const room of rooms) {
    const rows = room.participants.map((p) =>
      el(
        'tr',
        { 'data-user': p.userId },
        el(
          'td',
          {},
          el('strong', {}, p.userId),
          p.connected ? '' : el('span', { class: 'muted' }, ' (reconnecting)'),
        ),
        el('td', {}, p.role),
        el('td', {}, ...streamBadges(p)),
        el('td', {}, '↑ ' + bitrate(p.bitrateIn)),
        el('td', {}, '↓ ' + bitrate(p.bitrateOut), ' ', ...layerBadges(p)),
        el('td', {}, quality(p.quality)),
        el('td', { class: 'muted' }, since(p.joinedAt)),
        el('td', { class: 'muted' }, p.clientIp),
        el(
          'td',
          {},
          el('button', { class: 'small', onclick: () => act('remove', room, p.userId) }, 'Remove'),
          ' ',
          el('button', { class: 'small', onclick: () => act('ban', room, p.userId) }, 'Ban'),
        ),
      ),
    );
    box.append(
      el(
        'div',
        { class: 'room', 'data-room': String(room.room.id) },
        el(
          'div',
          { class: 'room-head' },
          el('span', { class: 'title' }, 'Room ' + roomLabel(room.room)),
          el(
            'span',
            { class: 'meta' },
            'app ' +
              room.sdkAppId +
              ' · ' +
              room.participants.length +
              ' participants · up ' +
              since(room.createdAt),
          ),
          el('span', { class: 'spacer' }),
          el(
            'button',
            { class: 'small danger', onclick: () => act('dismiss', room) },
            'Dismiss room',
          ),
        ),
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...[
                'User',
                'Role',
                'Streams',
                'Sending',
                'Receiving',
                'Network',
                'In room',
                'IP',
                '',
              ].map((h) => el('th', {}, h)),
            ),
          ),
          el('tbody', {}, ...rows),
        ),
      ),
    );
  }
}

/** Cluster mode: each live node with its load (its share of its limit) and rooms. */
function renderNodes(nodes) {
  $('nodes-card').hidden = !nodes;
  if (!nodes) return;
  $('nodes').replaceChildren(
    ...nodes.map((n) =>
      el(
        'tr',
        { 'data-node': n.id },
        el('td', {}, n.id + (n.self ? ' (this node)' : '')),
        el('td', { class: 'muted' }, n.url),
        el('td', {}, n.load + ' / ' + n.maxLoad),
        el('td', {}, String(n.rooms)),
        el('td', {}, String(n.participants)),
        el('td', {}, n.self ? '-' : n.relaysIn + ' / ' + n.relaysOut),
        el('td', { class: 'muted' }, time(n.startedAt)),
      ),
    ),
  );
}

function render(state) {
  $('who').textContent = 'Signed in with ' + state.signedInAs;
  const users = state.rooms.reduce((n, r) => n + r.participants.length, 0);
  const sum = (key) =>
    state.rooms.reduce((n, r) => n + r.participants.reduce((m, p) => m + p[key], 0), 0);
  $('t-rooms').textContent = state.rooms.length;
  $('t-users').textContent = users;
  $('t-in').textContent = bitrate(sum('bitrateIn'));
  $('t-out').textContent = bitrate(sum('bitrateOut'));
  $('t-queue').textContent = state.callbackQueueDepth;
  renderRooms(state.rooms);
  renderNodes(state.nodes);
  $('errors').replaceChildren(
    ...(state.errors.length
      ? state.errors
          .slice(0, 12)
          .map((e) =>
            el(
              'tr',
              {},
              el('td', { class: 'muted' }, time(e.at)),
              el('td', {}, e.source),
              el('td', { class: 'fail' }, e.code),
              el('td', {}, e.message.slice(0, 90)),
            ),
          )
      : [el('tr', {}, el('td', { class: 'muted' }, 'No errors.'))]),
  );
  $('deliveries').replaceChildren(
    ...(state.deliveries.length
      ? state.deliveries
          .slice(0, 12)
          .map((d) =>
            el(
              'tr',
              {},
              el('td', { class: 'muted' }, time(d.at)),
              el('td', {}, 'event ' + d.eventType),
              el('td', {}, 'room ' + d.roomId + ' #' + d.seq),
              el(
                'td',
                { class: d.outcome === 'delivered' ? 'ok' : 'fail' },
                d.outcome + (d.error ? ' (' + d.error + ')' : ''),
              ),
              el('td', { class: 'muted' }, d.ms + ' ms'),
            ),
          )
      : [el('tr', {}, el('td', { class: 'muted' }, 'No callbacks sent yet.'))]),
  );
  $('bans').replaceChildren(
    ...(state.bans.length
      ? state.bans.map((b) =>
          el(
            'tr',
            {},
            el('td', {}, b.userId),
            el('td', {}, 'room ' + roomLabel(b.room)),
            el('td', { class: 'muted' }, 'until ' + new Date(b.until).toLocaleString()),
            el('td', {}, b.reason),
          ),
        )
      : [el('tr', {}, el('td', { class: 'muted' }, 'No bans.'))]),
  );
}

async function refresh() {
  if (!auth) return;
  try {
    render(await api('state'));
  } catch (error) {
    if (error.message !== 'unauthorized') toast('Refresh failed: ' + error.message);
  }
}

function showConsole() {
  $('signin').hidden = true;
  $('console').hidden = false;
  $('signout').hidden = false;
  refresh();
  refreshTimer = refreshTimer || setInterval(refresh, 2000);
}

function signOut(message) {
  auth = null;
  sessionStorage.removeItem('parley-admin-auth');
  $('signin').hidden = false;
  $('console').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin-error').textContent = message || '';
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = $('admin-token').value.trim();
  const id = $('secret-id').value.trim();
  const key = $('secret-key').value;
  if (!token && !(id && key)) {
    $('signin-error').textContent = 'Enter a SecretId and SecretKey, or the admin token.';
    return;
  }
  auth = token ? 'Bearer ' + token : 'Basic ' + btoa(id + ':' + key);
  try {
    render(await api('state'));
    sessionStorage.setItem('parley-admin-auth', auth);
    $('signin-error').textContent = '';
    showConsole();
  } catch (error) {
    if (error.message !== 'unauthorized') $('signin-error').textContent = error.message;
  }
});
$('signout').addEventListener('click', () => signOut());

if (auth) showConsole();
