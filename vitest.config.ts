import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/real/**', 'node_modules/**'],
    testTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time even on a 2-core machine (vitest's default there is one):
    // many files mostly wait on servers, timers and child processes (decision 0046).
    maxWorkers: 2,
  },
});
