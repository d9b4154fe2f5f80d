import { configDefaults, defineConfig } from 'vitest/config';

/** No database and no server: pure rules, crypto, templates, configuration. */
const unit = ['test/unit/**/*.test.ts', 'test/crypto/**/*.test.ts', 'test/domain/**/*.test.ts', 'web/src/**/*.test.ts'];
/** A real Chromium against the server as a child process. */
const browser = ['test/flows/browser-*.test.ts'];
/** The migrated PGlite snapshot, and TEST_DATABASE_URL migrated: only for projects with a database. */
const globalSetup = ['test/support/global-setup.ts'];
const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' } as const;

// `npx vitest --project unit` answers in seconds; `npm test` runs every project.
export default defineConfig({
  test: {
    // Two cores: two files at a time keeps argon2 and PGlite from starving each other. The
    // projects share these two workers (one group), so browser files, each with a server process
    // and a Chromium of their own, never run more than two at once either. Set here only, not in
    // the projects, so that `--maxWorkers` on the command line still applies to all of them.
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'unit', include: unit } },
      {
        test: {
          ...shared,
          name: 'db',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...unit, ...browser],
          globalSetup,
          // One module graph per worker instead of per file: fastify, kysely and PGlite's
          // WebAssembly load once, not 64 times (11 files on one worker: 186 s → 107 s). Files
          // still share nothing else: each opens its own database and instances and closes them
          // in afterAll, and none mocks modules, stubs globals or changes process.env.
          isolate: false,
        },
      },
      { test: { ...shared, name: 'browser', include: browser, globalSetup } },
    ],
  },
});
