import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit files run two at a time first (group 0); then e2e files one at a time (group 1).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          // e2e/types: the TRTC v4 type-compatibility checks (tsc, no browser).
          include: [
            'packages/*/src/**/*.test.ts',
            'e2e/types/**/*.test.ts',
            'scripts/**/*.test.mjs',
          ],
          environment: 'node',
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 1 },
          // One Chromium set at a time: the machine has two cores.
          fileParallelism: false,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          // Files share one module graph: each file still starts its own server and browser.
          isolate: false,
        },
      },
    ],
  },
});
