import { defineConfig } from 'vitest/config';

// Checks on the larger real data in ../shared/datasets (not part of a fresh clone).
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    testTimeout: 300_000,
    pool: 'forks',
    // Two test files at a time even on a 2-core machine (vitest's default there is one):
    // many files mostly wait on servers, timers and child processes (decision 0046).
    maxWorkers: 2,
  },
});
