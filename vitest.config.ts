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
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
