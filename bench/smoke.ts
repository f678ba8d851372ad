import { forwarding } from './forwarding.js';
import { netnsDown, netnsUp, startJanus, startParley } from './lib/servers.js';
import { loadMedia } from './lib/media.js';
const which = process.argv[2] ?? 'Parley';
const m = loadMedia();
console.log(`media: ${m.packets.length} packets, ${m.videoKbps} kbps video`);
if (process.env.PB_OUTER) {
  netnsUp();
}
const server = which === 'Parley' ? await startParley() : await startJanus();
try {
  await forwarding(server, { steps: [1, 4], settleMs: 2500, windowMs: 3000, workers: 2 });
} finally {
  await server.stop();
  if (process.env.PB_OUTER) netnsDown();
}
process.exit(0);
