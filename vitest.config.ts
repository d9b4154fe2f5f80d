import { configDefaults, defineConfig } from 'vitest/config';

/** No database and no server: pure rules, crypto, templates, configuration. */
const unit = ['test/unit/**/*.test.ts', 'test/crypto/**/*.test.ts', 'test/domain/**/*.test.ts'];
/** A real Chromium against the server as a child process. */
const browser = ['test/flows/browser-*.test.ts'];
/** The migrated PGlite snapshot, and TEST_DATABASE_URL migrated: only for projects with a database. */
const globalSetup = ['test/support/global-setup.ts'];

// `npx vitest --project unit` answers in seconds; `npm test` runs every project.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two files at a time keeps argon2 and PGlite from starving each other. Every
    // project shares these two workers (one group), so browser files, each with a server process
    // and a Chromium of their own, never run more than two at once either.
    maxWorkers: 2,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: unit } },
      { extends: true, test: { name: 'db', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...unit, ...browser], globalSetup } },
      { extends: true, test: { name: 'browser', include: browser, globalSetup } },
    ],
  },
});
