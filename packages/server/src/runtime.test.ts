import { describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, unsupportedNode } from './runtime.js';

describe('unsupportedNode', () => {
  it('accepts Node 22 and later, the Node of this test among them', () => {
    expect(unsupportedNode('v22.0.0', '/x/node')).toBeNull();
    expect(unsupportedNode('v24.22.3', '/x/node')).toBeNull();
    expect(unsupportedNode(process.version, process.execPath)).toBeNull();
  });

  it('refuses Node 20 and names the binary and the way out', () => {
    expect(unsupportedNode('v20.20.2', '/usr/bin/node')).toBe(
      `Node.js ${MIN_NODE_MAJOR} or later is needed, this is v20.20.2 (/usr/bin/node). ` +
        'Start Parley with npm start (on Linux x64 the project brings Node 24), or install Node 24 LTS.',
    );
    expect(unsupportedNode('garbage', '/x/node')).toMatch(/this is garbage/);
  });
});
