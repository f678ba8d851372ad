#!/usr/bin/env node
/**
 * `parley-server`: checks the Node.js version first, then starts the server. The rest is
 * imported only after the check: on an old Node, the engine's modules may fail to load with an
 * error that does not say why.
 */
import { unsupportedNode } from './runtime.js';

const problem = unsupportedNode(process.version, process.execPath);
if (problem) {
  process.stderr.write(`parley: ${problem}\n`);
  process.exit(1);
}
await import('./start.js');
