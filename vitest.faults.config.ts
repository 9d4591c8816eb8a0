import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`, run by `npm test` after the main suite): real runtime processes
 * killed, starved of their database and flooded. One file at a time, so that each case has the machine's
 * cores to itself and its figures mean something.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/setup/postgres.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
