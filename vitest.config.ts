import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tools/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/support/private-caches.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // helm and nx are real processes; two workers fit the 2-core CI machines.
    maxWorkers: 2,
  },
});
