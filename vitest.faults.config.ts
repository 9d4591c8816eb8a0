import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`, its own CI job: .ci/faults): real runtime processes killed, starved
 * of their database and flooded. `npm test` runs its quick cases after the main suite; the kill -9 and
 * provider-storm cases (10+ minutes) run in the separate job. One file at a time, so that each case has the
 * machine's cores to itself and its figures mean something.
 */
export default defineConfig({
  // `herald` and its subpaths resolve to this repository's sources (package.json's exports, tsconfig's customConditions).
  // Then Node's own (Vite's 'module' would pick packages' untranspiled ESM builds).
  ssr: { resolve: { conditions: ['herald-source', 'node', 'development|production'] } },
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/setup/postgres.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
