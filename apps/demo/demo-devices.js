/* global TRTC, document, navigator, Option */
// Parley demo: the device picker (#device-btn opens #device-panel with #camera-select and
// #mic-select). Lists TRTC.getCameras()/getMicrophones(), switches with
// localStream.switchDevice(), and refreshes when devices are plugged in or out.
'use strict';

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- used by demo.js
const ParleyDevices = (() => {
  const KINDS = {
    video: { select: 'camera-select', list: 'getCameras', name: 'Camera', none: 'No camera found' },
    audio: {
      select: 'mic-select',
      list: 'getMicrophones',
      name: 'Microphone',
      none: 'No microphone found',
    },
  };

  const byId = (id) => document.getElementById(id);
  const deps = { getStream: () => null, onError: () => {}, notify: () => {} };

  function canSwitch() {
    return typeof deps.getStream()?.switchDevice === 'function';
  }

  function currentDeviceId(kind) {
    const stream = deps.getStream();
    const track = kind === 'video' ? stream?.getVideoTrack?.() : stream?.getAudioTrack?.();
    return track?.getSettings?.().deviceId ?? '';
  }

  async function listDevices(kind) {
    const list = TRTC[KINDS[kind].list];
    if (typeof list !== 'function') return [];
    try {
      return await list.call(TRTC);
    } catch (err) {
      console.warn(`TRTC.${KINDS[kind].list}() failed`, err);
      return [];
    }
  }

  function fillSelect(kind, devices) {
    const { select: id, name, none } = KINDS[kind];
    const select = byId(id);
    const options = devices.map(
      (device, i) => new Option(device.label || `${name} ${i + 1}`, device.deviceId),
    );
    if (!options.length) options.push(new Option(none, ''));
    select.replaceChildren(...options);
    const current = currentDeviceId(kind);
    if (devices.some((d) => d.deviceId === current)) select.value = current;
    select.disabled = !devices.length || !canSwitch();
  }

  async function refresh() {
    const [cameras, microphones] = await Promise.all([listDevices('video'), listDevices('audio')]);
    fillSelect('video', cameras);
    fillSelect('audio', microphones);
    const hint = byId('device-hint');
    hint.hidden = canSwitch() || !deps.getStream();
    hint.textContent = 'This SDK version cannot switch devices during a call.';
  }

  async function switchTo(kind) {
    const stream = deps.getStream();
    const select = byId(KINDS[kind].select);
    if (!stream || !canSwitch() || !select.value) return;
    const label = select.selectedOptions[0]?.textContent ?? select.value;
    select.disabled = true;
    try {
      await stream.switchDevice(kind, select.value);
      deps.notify(`${KINDS[kind].name}: ${label}`);
    } catch (err) {
      deps.onError(`Could not switch to ${label}`, err);
    } finally {
      select.disabled = false;
      refresh(); // shows the device in use, whether the switch worked or not
    }
  }

  function isOpen() {
    return !byId('device-panel').hidden;
  }

  function setOpen(open) {
    byId('device-panel').hidden = !open;
    byId('device-btn').setAttribute('aria-expanded', String(open));
    byId('device-btn').classList.toggle('active', open);
    if (open) refresh().then(() => byId('camera-select').focus());
  }

  function onDocumentClick(event) {
    if (isOpen() && !event.target.closest?.('.popover-anchor')) setOpen(false);
  }

  function onKeyDown(event) {
    if (event.key === 'Escape' && isOpen()) {
      setOpen(false);
      byId('device-btn').focus();
    }
  }

  return {
    init({ getStream, onError, notify }) {
      Object.assign(deps, { getStream, onError, notify });
      byId('device-btn').addEventListener('click', () => setOpen(!isOpen()));
      byId('camera-select').addEventListener('change', () => switchTo('video'));
      byId('mic-select').addEventListener('change', () => switchTo('audio'));
      document.addEventListener('click', onDocumentClick);
      document.addEventListener('keydown', onKeyDown);
      navigator.mediaDevices?.addEventListener?.('devicechange', () => {
        if (deps.getStream()) refresh();
      });
    },

    // The local stream changed (opened or closed): enable the button, re-read the devices.
    setStreamReady(ready) {
      byId('device-btn').disabled = !ready;
      if (!ready) setOpen(false);
      else if (isOpen()) refresh();
    },

    close() {
      setOpen(false);
    },
  };
})();
