import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // One Chromium set at a time: the machine has two cores.
          fileParallelism: false,
          // Files share one module graph: each file still starts its own server and browser,
          // and importing the server afresh for each of ~50 files cost ~2 min of the suite.
          isolate: false,
        },
      },
    ],
  },
});
