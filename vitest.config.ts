import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real processes (runner, simulator, BMCs, Chromium, oned) share two cores.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'oneha', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/real-oned/**'] } },
      {
        extends: true,
        test: {
          // One real oned for the whole run, started in the background by the global setup;
          // its files take turns (they fail and restore the same hosts).
          name: 'real-oned',
          include: ['test/real-oned/**/*.test.ts'],
          globalSetup: ['test/real-oned/globalSetup.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          // A file's beforeAll waits for the oned (up to 10 min) and then for its turn (ready.ts).
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
