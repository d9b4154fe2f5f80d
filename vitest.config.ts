import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    // Two cores: two files at a time keeps argon2 and PGlite from starving each other.
    maxWorkers: 2,
    pool: 'forks',
  },
});
