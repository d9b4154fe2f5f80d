/**
 * Several processes on one PostgreSQL database (issue 15): started together on an empty database,
 * they apply each migration once; and today's code serves on a database a future version has
 * already migrated one expand step further (docs/operations.md, "Upgrading"). PostgreSQL only.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { freshPostgresDatabase } from '../support/db.ts';
import { keyward } from '../support/cli.ts';
import { startServer } from '../support/server-process.ts';
import { openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { givenInstance, PASSWORD, TEST_SECRET_KEY, testDeps } from '../support/deps.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('several processes on one PostgreSQL database', () => {
  it('applies each migration exactly once when three `keyward migrate` start at once on an empty database', async () => {
    const fresh = await freshPostgresDatabase();
    try {
      const env = { DATABASE_URL: fresh.url, KEYWARD_SECRET_KEY: TEST_SECRET_KEY };
      const runs = await Promise.all([1, 2, 3].map(() => keyward(['migrate'], env)));
      for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
      const applied = runs.flatMap((run) => run.stdout.match(/^Applied: (.*)$/m)?.[1]?.split(', ') ?? []);
      const database = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 1 });
      try {
        const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
        expect(applied.sort()).toEqual(recorded.rows.map((row) => row.name));
        expect(recorded.rows.length).toBeGreaterThan(20);
      } finally {
        await database.close();
      }
    } finally {
      await fresh.drop();
    }
  }, 120_000);

  it('serves (ready, logins) on a database migrated one expand step further by a newer version', async () => {
    const fresh = await freshPostgresDatabase();
    const database = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 2 });
    let server: Awaited<ReturnType<typeof startServer>> | null = null;
    try {
      await migrateToLatest(database.db);
      // What a version N+1 may add while N still serves: a table, and a nullable column on the
      // hottest tables (users, sessions), recorded as a migration this version does not know.
      await database.db.transaction().execute(async (tx) => {
        await sql`create table future_things (id text primary key, note text)`.execute(tx);
        await sql`alter table users add column future_note text`.execute(tx);
        await sql`alter table sessions add column future_flag boolean not null default false`.execute(tx);
        await sql`insert into kysely_migration (name, timestamp) values ('9999-future-expand', ${new Date().toISOString()})`.execute(tx);
      });
      expect(await migrateToLatest(database.db)).toEqual([]);
      const deps = await testDeps(database);
      const { instance, admin } = await givenInstance(deps);
      server = await startServer({ DATABASE_URL: fresh.url, KEYWARD_SECRET_KEY: TEST_SECRET_KEY });
      expect((await fetch(`${server.origin}/readyz`)).status).toBe(200);
      const login = await fetch(`${server.origin}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: server.origin },
        body: JSON.stringify({ instance: instance.slug, email: admin.email, password: PASSWORD }),
      });
      expect(await login.json()).toMatchObject({ next: 'done' });
    } finally {
      await server?.stop();
      await database.close();
      await fresh.drop();
    }
  }, 120_000);
});
