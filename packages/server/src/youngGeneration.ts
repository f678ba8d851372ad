/**
 * Keeps V8's young generation at its starting size in the server process.
 *
 * Under a steady allocation rate above ~1 MB/s (the worker channel and the signaling sockets
 * of a hundred viewers give that) V8 doubles the young generation's semi-spaces after
 * scavenges until they reach their maximum, and does not shrink them while the rate lasts. On
 * Node 24 that maximum is 32 MB each: ~64 MB of RSS for garbage that lives a few
 * milliseconds, about half of what the Node process grew by at 100 viewers in the forwarding
 * bench (docs/notes/memory.md). `--max-semi-space-size` only acts on the command line, but the
 * growth factor is read at each growth, so setting it to 1 at start-up keeps the semi-spaces
 * at their initial 1 MB; scavenges then come more often, each as cheap as before (their cost
 * is the survivors, not the garbage).
 */
import { setFlagsFromString } from 'node:v8';

/** The flag this sets, and the ones by which an operator chose a young generation size. */
export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';
const OPERATOR_FLAGS = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

/**
 * Sets the growth factor unless the operator sized the young generation (in `execArgv` or
 * NODE_OPTIONS). Returns whether it did.
 */
export function keepYoungGenerationSmall(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env['NODE_OPTIONS'] ?? '',
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (execArgv.some((arg) => OPERATOR_FLAGS.test(arg)) || OPERATOR_FLAGS.test(nodeOptions)) {
    return false;
  }
  setFlags(YOUNG_GENERATION_FLAG);
  return true;
}
