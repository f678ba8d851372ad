import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { keepYoungGenerationSmall, YOUNG_GENERATION_FLAG } from './youngGeneration.js';

describe('keepYoungGenerationSmall', () => {
  it('sets the growth factor when the operator chose no young generation size', () => {
    const set: string[] = [];
    expect(
      keepYoungGenerationSmall(['--enable-source-maps'], '--max-old-space-size=4096', (f) =>
        set.push(f),
      ),
    ).toBe(true);
    expect(set).toEqual([YOUNG_GENERATION_FLAG]);
  });

  it.each([
    [['--max-semi-space-size=16'], ''],
    [['--max_semi_space_size=16'], ''],
    [[], '--min-semi-space-size=4'],
    [[], '--semi-space-growth-factor=2 --enable-source-maps'],
  ])('leaves V8 alone when the operator sized it (%j, %j)', (execArgv, nodeOptions) => {
    const set: string[] = [];
    expect(keepYoungGenerationSmall(execArgv, nodeOptions, (f) => set.push(f))).toBe(false);
    expect(set).toEqual([]);
  });

  it("keeps a fresh process's new space at its starting size under a steady allocation rate", () => {
    // What the flag does to V8 (a Node upgrade could change it), in fresh processes: this
    // one's young generation has grown already while the test runner loaded.
    const newSpaceAfterChurn = (flags: string): number => {
      const script = `
        const v8 = require('node:v8');
        if (${JSON.stringify(flags)}) v8.setFlagsFromString(${JSON.stringify(flags)});
        let keep = [];
        for (let round = 0; round < 300; round++) {
          for (let i = 0; i < 2000; i++) keep.push({ i, s: 'x' + i, a: [i, i] });
          if (keep.length > 40000) keep = keep.slice(20000);
        }
        const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
        process.stdout.write(String(s.space_size));`;
      const out = execFileSync(process.execPath, ['-e', script], { timeout: 30_000 });
      return Number(out.toString());
    };
    const grown = newSpaceAfterChurn('');
    const kept = newSpaceAfterChurn(YOUNG_GENERATION_FLAG);
    expect(grown).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(kept).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});
