import { rooms } from './rooms.js';
import { startJanus, startParley } from './lib/servers.js';
const which = process.argv[2] ?? 'Parley';
const server = which === 'Parley' ? await startParley() : await startJanus();
try {
  await rooms(server, { steps: [1, 3, 6], settleMs: 3000, windowMs: 3000, workers: 2 });
} finally {
  await server.stop();
}
process.exit(0);
