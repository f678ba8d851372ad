/** Which Node.js Parley runs on: mediasoup 3.32 needs 22 or later; development is on 24 LTS. */
export const MIN_NODE_MAJOR = 22;

/** Why `version` (e.g. process.version) cannot run Parley, or null when it can. */
export function unsupportedNode(version: string, execPath: string): string | null {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (major >= MIN_NODE_MAJOR) return null;
  return (
    `Node.js ${MIN_NODE_MAJOR} or later is needed, this is ${version} (${execPath}). ` +
    'Start Parley with npm start (on Linux x64 the project brings Node 24), or install Node 24 LTS.'
  );
}
