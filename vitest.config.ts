import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'test/fixtures/**', 'bench/.generated/**', 'test/.tmp-*/**'],
    // One embedded PostgreSQL for the whole run; each test file creates its own database in it.
    globalSetup: ['test/setup/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
