import { join, launchChromium } from './join.js';
import { startJanus, startParley } from './lib/servers.js';
const browser = await launchChromium();
for (const start of [startParley, startJanus]) {
  const server = await start();
  try {
    await join(server, browser, 5);
  } finally {
    await server.stop();
  }
}
await browser.close();
process.exit(0);
