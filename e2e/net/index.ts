/** The network impairment kit: see NetLab.ts for the topology, EdgeImpairments.ts for the knobs. */
export { NetLab, NetClient, removeStaleNamespaces } from './NetLab.js';
export { SERVER_IP, TURN_IP } from './addresses.js';
export {
  EdgeImpairments,
  type CapOptions,
  type DelayOptions,
  type LossOptions,
} from './EdgeImpairments.js';
export { unavailableReason, isRoot } from './exec.js';
export {
  MEDIA_PORTS,
  PARLEY_HTTP_PORT,
  TURN_PORT,
  startParleyIn,
  startCoturn,
  ensureCoturn,
  spawnInNs,
  type ParleyInNs,
  type Coturn,
} from './servers.js';
export { chromiumInNs } from './browser.js';
export { highEntropy720p, highEntropyCameraArgs } from './y4m.js';
