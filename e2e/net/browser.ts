/**
 * Chromium inside a client namespace: an executable wrapper that runs it through
 * `ip netns exec` (playwright talks to it over pipes, which cross namespaces), so its only
 * network is the client's impaired link. Pass it to playwright as executablePath.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function chromiumInNs(
  ns: string,
  chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
): string {
  const wrapper = join(mkdtempSync(join(tmpdir(), 'chromium-ns-')), 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns}' '${chromium}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}
