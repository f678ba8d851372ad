/* global document, setInterval, clearInterval */
// Parley demo: the live stats panel (#stats-panel). Every 2 s it reads the client's
// getLocalVideoStats/getLocalAudioStats/getRemoteVideoStats/getRemoteAudioStats/getTransportStats
// and shows resolution, frame rate, bitrate and packet loss, plus the latest network-quality
// event. Counters (bytes, frames) are turned into rates from the previous sample. A client
// without one of these methods shows "n/a" there instead of failing.
'use strict';

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- used by demo.js
const ParleyStats = (() => {
  const INTERVAL_MS = 2000;
  const NA = 'n/a';
  const MEASURING = '…';
  // network-quality values: 0 unknown, 1 excellent ... 5 very bad, 6 disconnected.
  const QUALITY = ['Unknown', 'Excellent', 'Good', 'Poor', 'Bad', 'Very bad', 'Disconnected'];

  const byId = (id) => document.getElementById(id);

  const state = {
    client: null,
    userId: '',
    peers: () => [],
    timer: null,
    sampling: false,
    previous: new Map(), // counter name -> {value, at}
    quality: null,
  };

  // ---- Reading the client ----

  // A stats method's result, or null when this SDK build has no such method or it failed.
  async function read(method, ...args) {
    const client = state.client;
    if (!client || typeof client[method] !== 'function') return null;
    try {
      return (await client[method](...args)) ?? null;
    } catch (err) {
      console.warn(`${method}() failed`, err);
      return null;
    }
  }

  // Per-second rate of a growing counter since the last sample; null for the first one.
  function rate(name, value, at) {
    if (typeof value !== 'number') return null;
    const previous = state.previous.get(name);
    state.previous.set(name, { value, at });
    if (!previous || value < previous.value || at <= previous.at) return null;
    return ((value - previous.value) * 1000) / (at - previous.at);
  }

  // ---- Formatting ----

  function resolution(stats) {
    return stats.frameWidth > 0 && stats.frameHeight > 0
      ? `${stats.frameWidth}×${stats.frameHeight}`
      : '–';
  }

  function bitrate(bytesPerSecond) {
    if (bytesPerSecond === null) return MEASURING;
    const kbps = (bytesPerSecond * 8) / 1000;
    return kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbps` : `${Math.round(kbps)} kbps`;
  }

  function fps(framesPerSecond) {
    return framesPerSecond === null ? MEASURING : `${Math.round(framesPerSecond)} fps`;
  }

  function lost(stats) {
    return typeof stats.packetsLost === 'number' ? `${stats.packetsLost} lost` : NA;
  }

  function qualityText(value) {
    return typeof value === 'number' ? (QUALITY[value] ?? `Level ${value}`) : NA;
  }

  // Fills a row's [data-stat] figures in order; without stats the first one says why (`none`)
  // and the others are hidden.
  function fillRow(container, names, stats, none, format) {
    const values = stats ? format(stats) : [none];
    names.forEach((name, i) => {
      const el = container.querySelector(`[data-stat="${name}"]`);
      if (!el) return;
      el.hidden = values[i] === undefined;
      if (!el.hidden && el.textContent !== values[i]) el.textContent = values[i];
    });
  }

  // The entry for `userId` in a stats map keyed by user (a lone entry is taken as it).
  function entryFor(map, userId) {
    if (!map) return null;
    return map[userId] ?? (Object.keys(map).length === 1 ? Object.values(map)[0] : null);
  }

  // ---- Rendering ----

  function renderLocal(video, audio, at) {
    const v = entryFor(video, state.userId);
    const a = entryFor(audio, state.userId);
    // Rates need the previous sample, so they are computed even when not shown.
    const frames = rate('local-frames', v?.framesEncoded ?? v?.framesSent, at);
    const videoBytes = rate('local-video-bytes', v?.bytesSent, at);
    const audioBytes = rate('local-audio-bytes', a?.bytesSent, at);
    const panel = byId('stats-local');
    fillRow(panel, ['resolution', 'fps', 'video-bitrate'], v, video ? 'not sending' : NA, (s) => [
      resolution(s),
      fps(frames),
      bitrate(videoBytes),
    ]);
    fillRow(panel, ['audio-bitrate'], a, audio ? 'not sending' : NA, () => [bitrate(audioBytes)]);
  }

  function userSection(userId) {
    const list = byId('stats-remote');
    for (const section of list.children) {
      if (section.dataset.userId === userId) return section;
    }
    const section = byId('stats-user-template').content.firstElementChild.cloneNode(true);
    section.dataset.userId = userId;
    section.querySelector('h3').textContent = userId;
    list.append(section);
    return section;
  }

  function renderRemote(video, audio, at) {
    const users = new Set([
      ...state.peers(),
      ...Object.keys(video ?? {}),
      ...Object.keys(audio ?? {}),
    ]);
    for (const section of [...byId('stats-remote').children]) {
      if (!users.has(section.dataset.userId)) section.remove();
    }
    for (const userId of [...users].sort()) {
      const section = userSection(userId);
      const v = video?.[userId] ?? null;
      const a = audio?.[userId] ?? null;
      const videoBytes = rate(`${userId}-video-bytes`, v?.bytesReceived, at);
      const audioBytes = rate(`${userId}-audio-bytes`, a?.bytesReceived, at);
      // A known method without an entry: this user sends no such media (or not to us).
      const names = ['resolution', 'video-bitrate', 'video-lost'];
      fillRow(section, names, v, video ? 'no video' : NA, (s) => [
        resolution(s),
        bitrate(videoBytes),
        lost(s),
      ]);
      fillRow(section, ['audio-bitrate', 'audio-lost'], a, audio ? 'no audio' : NA, (s) => [
        bitrate(audioBytes),
        lost(s),
      ]);
    }
  }

  function renderTransport(transport) {
    const rtt = transport?.rtt;
    byId('stat-rtt').textContent = typeof rtt === 'number' ? `${Math.round(rtt)} ms` : NA;
  }

  function renderQuality() {
    for (const [id, field] of [
      ['stat-uplink', 'uplinkNetworkQuality'],
      ['stat-downlink', 'downlinkNetworkQuality'],
    ]) {
      const value = state.quality?.[field];
      const el = byId(id);
      el.textContent = qualityText(value);
      el.dataset.level = typeof value === 'number' ? String(value) : '';
    }
  }

  async function sample() {
    if (state.sampling || !state.client) return;
    state.sampling = true;
    const client = state.client;
    try {
      const [localVideo, localAudio, remoteVideo, remoteAudio, transport] = await Promise.all([
        read('getLocalVideoStats'),
        read('getLocalAudioStats'),
        read('getRemoteVideoStats', 'main'),
        read('getRemoteAudioStats'),
        read('getTransportStats'),
      ]);
      if (state.client !== client || !isOpen()) return; // left or closed meanwhile
      const at = Date.now();
      renderLocal(localVideo, localAudio, at);
      renderRemote(remoteVideo, remoteAudio, at);
      renderTransport(transport);
      renderQuality();
    } finally {
      state.sampling = false;
    }
  }

  // ---- Panel and polling ----

  function isOpen() {
    return !byId('stats-panel').hidden;
  }

  function startPolling() {
    if (state.timer || !state.client) return;
    state.previous.clear(); // rates need two samples from the same stretch of polling
    sample();
    state.timer = setInterval(sample, INTERVAL_MS);
  }

  function stopPolling() {
    clearInterval(state.timer);
    state.timer = null;
  }

  function setOpen(open) {
    byId('stats-panel').hidden = !open;
    byId('stats-btn').setAttribute('aria-expanded', String(open));
    byId('stats-btn').classList.toggle('active', open);
    if (open) startPolling();
    else stopPolling();
  }

  function onNetworkQuality(event) {
    state.quality = event;
    if (isOpen()) renderQuality();
  }

  function clearValues() {
    byId('stats-remote').replaceChildren();
    renderLocal(null, null, 0);
    renderTransport(null);
    renderQuality();
  }

  return {
    init() {
      byId('stats-btn').addEventListener('click', () => setOpen(!isOpen()));
      byId('stats-close').addEventListener('click', () => {
        setOpen(false);
        byId('stats-btn').focus();
      });
    },

    // Call with a new client before join() so that no network-quality event is missed.
    attach(client, { userId, peers }) {
      Object.assign(state, { client, userId, peers, quality: null });
      state.previous.clear();
      clearValues();
      client.on('network-quality', onNetworkQuality);
      if (isOpen()) startPolling();
    },

    detach() {
      stopPolling();
      state.client?.off('network-quality', onNetworkQuality);
      Object.assign(state, { client: null, userId: '', peers: () => [], quality: null });
      clearValues();
    },
  };
})();
