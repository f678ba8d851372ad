/**
 * Dual stream from compat.html pages: publish the camera at 720p (with or without a small
 * stream), read `hasSmall`, and choose a remote stream's big or small video.
 */
import type { Page } from 'playwright-core';

interface RemoteStreamLike {
  getUserId(): string;
}

/** The page's globals this module uses (see compat.html). */
export interface DualStreamWindow {
  client: {
    enableSmallStream(): Promise<void>;
    disableSmallStream(): Promise<void>;
    setSmallStreamProfile(profile: {
      width: number;
      height: number;
      bitrate: number;
      frameRate: number;
    }): void;
    publish(stream: unknown): Promise<void>;
    setRemoteVideoStreamType(stream: RemoteStreamLike, type: 'big' | 'small'): Promise<void>;
    getRemoteMutedState(): Array<{ userId: string; hasSmall: boolean }>;
  };
  TRTC: {
    isSmallStreamSupported(): boolean;
    createStream(config: object): {
      setVideoProfile(profile: string): void;
      setVideoContentHint(hint: string): void;
      initialize(): Promise<void>;
    };
  };
  __remoteStreams: Record<string, RemoteStreamLike>;
}

/**
 * Publishes camera + microphone at the 720p profile on the page's joined client, with the
 * 'detail' content hint: on a test machine whose cores are shared, Chrome's CPU adaptation
 * then lowers the frame rate rather than the resolution (the network is what is measured).
 */
export function publish720p(page: Page, userId: string, smallStream: boolean): Promise<void> {
  return page.evaluate(
    async ({ userId, smallStream }) => {
      const w = window as unknown as DualStreamWindow;
      if (smallStream) await w.client.enableSmallStream();
      const stream = w.TRTC.createStream({ userId, audio: true, video: true });
      stream.setVideoProfile('720p');
      await stream.initialize();
      stream.setVideoContentHint('detail');
      await w.client.publish(stream);
    },
    { userId, smallStream },
  );
}

/** `getRemoteMutedState()`'s `hasSmall` for `userId` on the page. */
export function hasSmall(page: Page, userId: string): Promise<boolean> {
  return page.evaluate(
    (userId) =>
      (window as unknown as DualStreamWindow).client
        .getRemoteMutedState()
        .some((s) => s.userId === userId && s.hasSmall),
    userId,
  );
}

/** `setRemoteVideoStreamType()` on the subscribed main stream of `userId`. */
export function setRemoteVideoType(
  page: Page,
  userId: string,
  type: 'big' | 'small',
): Promise<void> {
  return page.evaluate(
    async ({ userId, type }) => {
      const w = window as unknown as DualStreamWindow;
      const stream = w.__remoteStreams[`${userId}/main`];
      if (!stream) throw new Error(`no subscribed main stream of ${userId} on the page`);
      await w.client.setRemoteVideoStreamType(stream, type);
    },
    { userId, type },
  );
}
