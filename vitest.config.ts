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
  },
});
