import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // End-to-end tests spawn git and the built binary; give them room on 2-core machines.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most end-to-end tests wait on the processes they spawn, so two files at a time keep both
    // cores busy (vitest's default on a 2-core machine is one).
    maxWorkers: 2,
  },
});
