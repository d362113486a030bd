import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tools/**/*.test.ts', 'test/**/*.test.ts'],
    // Loopback only, for the tests and every process they start (the fake API server, the cache server).
    setupFiles: ['test/support/private-caches.ts', 'test/support/loopback-only.ts'],
    // Nx and the hack launchers the tests start run tools/homelab/dist: built from the current sources first.
    // The example's upstream charts (argo-cd, cert-manager) are served from a pre-filled chart cache, never the internet.
    // The run's temp directory holds each test file's TMPDIR.
    globalSetup: ['test/support/build-package.ts', 'test/support/example-charts.ts', 'test/support/temp-dir.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // helm and nx are real processes; two workers fit the 2-core CI machines.
    maxWorkers: 2,
  },
});
