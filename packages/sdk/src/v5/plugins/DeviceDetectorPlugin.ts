/**
 * v5's DeviceDetector plugin (`startPlugin('DeviceDetector', options)`): opens a dialog that
 * checks camera, microphone, speaker and, with `networkDetect`, the network against this
 * Parley server, and resolves with v5's result (`{ camera, microphone, speaker, network? }`,
 * each `isSuccess` with the device or the network's `{ quality, rtt }`), or undefined when
 * the user skips before any step ends, as v5 does. `stopPlugin` closes it (resolving so).
 */
import {
  checkNonEmptyString,
  checkNumber,
  checkObject,
  checkOneOf,
  optionalBoolean,
} from '../validate.js';
import { DeviceDetectorDialog, type DetectorResult } from './DeviceDetectorDialog.js';
import type { NetworkTarget, ProbeInstance } from './deviceChecks.js';
import type { PluginHost, V5Plugin } from './registry.js';

export type { ProbeInstance };

const LANGUAGES = ['auto', 'zh', 'en'] as const;

export class DeviceDetectorPlugin implements V5Plugin {
  private dialog: DeviceDetectorDialog | null = null;

  constructor(private readonly host: PluginHost) {}

  start(options: unknown): Promise<DetectorResult | undefined> {
    const o = checkOptions(options);
    // One dialog at a time: a second start waits for the one open.
    if (this.dialog) return this.dialog.done;
    const dialog = new DeviceDetectorDialog({
      mirror: o.mirror,
      allowSkip: o.allowSkip,
      network: o.network ? { target: o.network, probe: () => this.host.createProbe() } : null,
    });
    this.dialog = dialog;
    void dialog.done.finally(() => {
      if (this.dialog === dialog) this.dialog = null;
    });
    return dialog.open();
  }

  async update(): Promise<void> {
    // v5's DeviceDetector has nothing to update.
  }

  async stop(): Promise<void> {
    this.dialog?.close();
  }

  destroy(): void {
    this.dialog?.close();
  }
}

function checkOptions(options: unknown): {
  mirror: boolean;
  allowSkip: boolean;
  network: NetworkTarget | null;
} {
  const fn = 'startPlugin';
  if (options === undefined) return { mirror: false, allowSkip: true, network: null };
  const o = checkObject(options, 'options', fn);
  let network: NetworkTarget | null = null;
  if (o.networkDetect !== undefined) {
    const n = checkObject(o.networkDetect, 'networkDetect', fn);
    network = {
      sdkAppId: checkNumber(n.sdkAppId, 'networkDetect.sdkAppId', fn),
      userId: checkNonEmptyString(n.userId, 'networkDetect.userId', fn),
      userSig: checkNonEmptyString(n.userSig, 'networkDetect.userSig', fn),
      ...(n.roomId === undefined
        ? {}
        : { roomId: checkNumber(n.roomId, 'networkDetect.roomId', fn, { min: 1 }) }),
    };
    // downlinkUserId/downlinkUserSig: v5 measures the downlink with a second user; Parley's
    // one probe reports the uplink it sends (the grade and round trip the server sees).
    if (n.downlinkUserId !== undefined)
      checkNonEmptyString(n.downlinkUserId, 'networkDetect.downlinkUserId', fn);
    if (n.downlinkUserSig !== undefined)
      checkNonEmptyString(n.downlinkUserSig, 'networkDetect.downlinkUserSig', fn);
  }
  let mirror = false;
  if (o.cameraDetect !== undefined) {
    const c = checkObject(o.cameraDetect, 'cameraDetect', fn);
    mirror = optionalBoolean(c.mirror, 'cameraDetect.mirror', fn) ?? false;
  }
  const allowSkip = optionalBoolean(o.allowSkip, 'allowSkip', fn) ?? true;
  if (o.language !== undefined) checkOneOf(o.language, LANGUAGES, 'language', fn);
  return { mirror, allowSkip, network };
}
