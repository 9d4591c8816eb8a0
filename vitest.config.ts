import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `herald` and its subpaths resolve to this repository's sources (package.json's exports, tsconfig's customConditions).
  // Then Node's own (Vite's 'module' would pick packages' untranspiled ESM builds).
  ssr: { resolve: { conditions: ['herald-source', 'node', 'development|production'] } },
  test: {
    include: ['**/*.test.ts'],
    // The fault suite (test/faults) runs after, on its own: `npm run test:faults` (see vitest.faults.config.ts).
    exclude: ['node_modules/**', 'test/faults/**', 'test/fixtures/**', 'bench/.generated/**', 'test/.tmp-*/**'],
    // One embedded PostgreSQL for the whole run; each test file creates its own database in it.
    globalSetup: ['test/setup/postgres.ts'],
    // Vitest's default is one file fewer than the cores: on a 2-core CI machine, one file at a time. The files
    // spend much of their time waiting (on child processes, PostgreSQL, Chromium, the clock), so one per core.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
