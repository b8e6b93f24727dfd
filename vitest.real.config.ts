import { defineConfig } from 'vitest/config';

// Checks on the larger real data in ../shared/datasets (not part of a fresh clone).
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    testTimeout: 300_000,
    pool: 'forks',
  },
});
