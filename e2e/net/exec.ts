/** Runs the system tools of the kit (ip, nft, tc) with a time limit and a readable error. */
import { execFileSync } from 'node:child_process';

/** Runs `cmd args…` (10 s at most) and returns its stdout; throws with its stderr. */
export function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 10_000,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** Like run, inside network namespace `ns`. */
export const inNs = (ns: string, cmd: string, args: string[], input?: string): string =>
  run('ip', ['netns', 'exec', ns, cmd, ...args], input);

/** Loads an nft script into namespace `ns`. */
export const nft = (ns: string, script: string): string => inNs(ns, 'nft', ['-f', '-'], script);

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Why the kit cannot run here, or null when it can (root, ip, nft and tc present). */
export function unavailableReason(): string | null {
  if (!isRoot()) return 'the network impairment kit needs root (network namespaces, nft, tc)';
  for (const tool of ['ip', 'nft', 'tc']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `the network impairment kit needs ${tool} (apt-get install -y iproute2 nftables)`;
    }
  }
  return null;
}
