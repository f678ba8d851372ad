/**
 * v5's PERMISSION_STATE_CHANGE: the camera and microphone permission states
 * (navigator.permissions) are queried once per page and followed by their `change` events;
 * each change is reported with both states, as trtc-sdk-v5 does (`null` where the browser
 * cannot query one).
 */
import { createLogger } from '../util/Logger.js';

const log = createLogger('v5-permissions');

export interface PermissionStates {
  camera: PermissionState | null;
  microphone: PermissionState | null;
}

type Listener = (states: PermissionStates) => void;

const NAMES = ['camera', 'microphone'] as const;

/** One per page: every TRTC instance listens to the same statuses. */
class PermissionWatcher {
  private readonly statuses: Partial<Record<(typeof NAMES)[number], PermissionStatus>> = {};
  private readonly listeners = new Set<Listener>();
  private started: Promise<void> | null = null;
  private readonly onChange = (): void => {
    const states = this.states();
    for (const listener of [...this.listeners]) listener(states);
  };

  /** Starts following the states (once); resolves when both were queried. */
  private start(): Promise<void> {
    this.started ??= (async () => {
      const permissions = typeof navigator === 'undefined' ? undefined : navigator.permissions;
      if (!permissions || typeof permissions.query !== 'function') return;
      await Promise.all(
        NAMES.map(async (name) => {
          try {
            const status = await permissions.query({ name: name as PermissionName });
            status.addEventListener('change', this.onChange);
            this.statuses[name] = status;
          } catch (error) {
            log.debug(`the ${name} permission cannot be queried here`, error);
          }
        }),
      );
    })();
    return this.started;
  }

  states(): PermissionStates {
    return {
      camera: this.statuses.camera?.state ?? null,
      microphone: this.statuses.microphone?.state ?? null,
    };
  }

  /** Calls `listener` on every change from now on; returns what stops it. */
  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    void this.start();
    return () => this.listeners.delete(listener);
  }
}

export const permissionWatcher = new PermissionWatcher();
