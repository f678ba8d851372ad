/* global TRTC, document, window, location, fetch, URLSearchParams */
/* The v5 demo: TRTC.create(), enterRoom, startLocalAudio/Video, REMOTE_VIDEO_AVAILABLE →
 * startRemoteVideo into a tile, mute and screen share, exitRoom. Dev mode signs the userSig. */
(() => {
  const $ = (id) => document.getElementById(id);
  const trtc = TRTC.create();
  window.trtc = trtc;
  let micMuted = false;
  let cameraOn = true;
  let sharing = false;

  const params = new URLSearchParams(location.search);
  $('room-id').value = params.get('room') || String(1000 + Math.floor(Math.random() * 9000));
  $('user-id').value = params.get('user') || 'user' + Math.floor(Math.random() * 10000);

  function showError(error) {
    $('error-text').textContent = `${error.name || 'Error'} ${error.code || ''}: ${error.message}`;
    $('error').hidden = false;
  }

  const tileId = (userId, streamType) => `tile-${userId}-${streamType}`;
  function ensureTile(userId, streamType) {
    let tile = $(tileId(userId, streamType));
    if (!tile) {
      tile = document.createElement('div');
      tile.id = tileId(userId, streamType);
      tile.className = 'v5-tile';
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = streamType === 'sub' ? `${userId} (screen)` : userId;
      tile.appendChild(badge);
      $('tiles').appendChild(tile);
    }
    return tile;
  }

  trtc.on(TRTC.EVENT.REMOTE_VIDEO_AVAILABLE, ({ userId, streamType }) => {
    const view = ensureTile(userId, streamType);
    trtc.startRemoteVideo({ userId, streamType, view }).catch(showError);
  });
  trtc.on(TRTC.EVENT.REMOTE_VIDEO_UNAVAILABLE, ({ userId, streamType }) => {
    $(tileId(userId, streamType))?.remove();
  });
  trtc.on(TRTC.EVENT.REMOTE_USER_EXIT, ({ userId }) => {
    for (const type of ['main', 'sub']) $(tileId(userId, type))?.remove();
  });
  trtc.on(TRTC.EVENT.CONNECTION_STATE_CHANGED, ({ state }) => {
    $('status').dataset.state = state;
    $('status').textContent = state === 'CONNECTED' ? 'Connected' : state.toLowerCase();
  });
  trtc.on(TRTC.EVENT.KICKED_OUT, ({ reason }) => showError({ message: `removed (${reason})` }));
  trtc.on(TRTC.EVENT.ERROR, showError);
  trtc.on(TRTC.EVENT.SCREEN_SHARE_STOPPED, () => {
    sharing = false;
    $('share-btn').textContent = 'Share screen';
  });

  $('join-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const userId = $('user-id').value.trim();
    const room = $('room-id').value.trim();
    try {
      const res = await fetch('/dev/usersig?userId=' + encodeURIComponent(userId));
      if (!res.ok)
        throw new Error(`no userSig for ${userId} (${res.status}): is the server in dev mode?`);
      const { sdkAppId, userSig } = await res.json();
      const roomId = /^\d+$/.test(room) ? { roomId: Number(room) } : { strRoomId: room };
      await trtc.enterRoom({ sdkAppId, userId, userSig, ...roomId });
      $('join-view').hidden = true;
      $('call-view').hidden = false;
      await trtc.startLocalVideo({ view: $('local-tile') });
      await trtc.startLocalAudio();
    } catch (error) {
      showError(error);
    }
  });

  $('mic-btn').addEventListener('click', () => {
    micMuted = !micMuted;
    trtc.updateLocalAudio({ mute: micMuted }).catch(showError);
    $('mic-btn').textContent = micMuted ? 'Unmute mic' : 'Mute mic';
  });
  $('cam-btn').addEventListener('click', () => {
    cameraOn = !cameraOn;
    const done = cameraOn ? trtc.startLocalVideo({ view: $('local-tile') }) : trtc.stopLocalVideo();
    done.catch(showError);
    $('cam-btn').textContent = cameraOn ? 'Stop camera' : 'Start camera';
  });
  $('share-btn').addEventListener('click', () => {
    sharing = !sharing;
    (sharing ? trtc.startScreenShare() : trtc.stopScreenShare()).catch(showError);
    $('share-btn').textContent = sharing ? 'Stop sharing' : 'Share screen';
  });
  $('leave-btn').addEventListener('click', async () => {
    await trtc.stopRemoteVideo({ userId: '*' }).catch(showError);
    await trtc.exitRoom().catch(showError);
    await trtc.stopLocalVideo().catch(showError);
    await trtc.stopLocalAudio().catch(showError);
    for (const tile of [...document.querySelectorAll('.v5-tile')]) {
      if (tile.id !== 'local-tile') tile.remove();
    }
    $('call-view').hidden = true;
    $('join-view').hidden = false;
  });
})();
