import { defineConfig } from 'vitest/config';

// `npm test` (scripts/test.mjs) runs the two projects one after the other: unit files two at
// a time, then e2e files one at a time (worker counts are per run in vitest, not per project).
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
        },
      },
    ],
  },
});
