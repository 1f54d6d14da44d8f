import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '{protocol,server,media,gateway}/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Real servers, workers and browsers share two cores: one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
