/**
 * keyward behind a real PgBouncer 1.18 (Debian's) in transaction pooling mode: each transaction
 * (each statement outside one) may run on another server session, so nothing may rely on session
 * state. PostgreSQL only (PgBouncer fronts a server); CI must run it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { freshPostgresDatabase } from '../support/db.ts';
import { pgbouncerInstalled, startPgbouncer, type Pgbouncer } from '../support/pgbouncer.ts';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';
import { migrateToLatest, schemaIsCurrent } from '../../src/storage/migrate.ts';
import { givenInstance, givenUser, PASSWORD, testDeps, type TestDeps } from '../support/deps.ts';
import { Client, testApp } from '../support/app.ts';
import { enrolTotp, loginWithCode } from '../support/two-factor.ts';

const installed = pgbouncerInstalled();
// CI must run this: there, a missing pgbouncer is a failure, not a skip (.ci/run installs it).
if (!installed && process.env.CI === 'true' && process.env.TEST_DATABASE_URL) {
  throw new Error('CI=true but pgbouncer is missing: .ci/run installs it');
}

describe.skipIf(!process.env.TEST_DATABASE_URL || !installed)('keyward through PgBouncer in transaction pooling mode', () => {
  let fresh: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let bouncer: Pgbouncer;
  let database: DatabaseHandle;
  let deps: TestDeps;
  let app: FastifyInstance;
  beforeAll(async () => {
    fresh = await freshPostgresDatabase();
    // Two server sessions for up to five client connections: consecutive statements of one client
    // connection land on either, as they do on any busy PgBouncer.
    bouncer = await startPgbouncer(fresh.url, { default_pool_size: '2' });
    database = await openDatabase({ kind: 'postgres', url: bouncer.url, poolSize: 5, prepared: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await bouncer?.stop();
    await fresh?.drop();
  });

  it('migrates an empty database, three runs at once applying each migration once', async () => {
    const others = await Promise.all([1, 2].map(() => openDatabase({ kind: 'postgres', url: bouncer.url, poolSize: 2, prepared: false })));
    try {
      const runs = await Promise.all([database, ...others].map((handle) => migrateToLatest(handle.db)));
      const applied = runs.flat();
      expect(applied.length).toBeGreaterThan(20);
      expect(new Set(applied).size).toBe(applied.length);
      expect(await schemaIsCurrent(database.db)).toBe(true);
    } finally {
      await Promise.all(others.map((handle) => handle.close()));
    }
    // No session lock was left behind on a pooled server session (the next start would wait on it).
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    try {
      const locks = await admin.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted`);
      expect(locks.rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('creates an instance and logs in with a password and a TOTP code, several logins at once', async () => {
    deps = await testDeps(database);
    app = await testApp(deps);
    const { instance, admin } = await givenInstance(deps);
    const owner = new Client(app);
    expect((await owner.login(instance.slug, admin.email, PASSWORD)).json()).toMatchObject({ next: 'done' });
    const secret = await enrolTotp(owner, deps);
    await loginWithCode(new Client(app), deps, instance.slug, admin.email, secret);
    // Different accounts: one account's attempts at once are throttled as a guess burst would be.
    const members = await Promise.all([1, 2, 3, 4, 5].map(() => givenUser(deps, instance)));
    const logins = await Promise.all(members.map((member) => new Client(app).login(instance.slug, member.email, PASSWORD)));
    for (const response of logins) expect(response.json()).toMatchObject({ next: 'done' });
  });

  it('fails with prepared statements on: the setting is what makes PgBouncer before 1.21 work', async () => {
    const preparing = await openDatabase({ kind: 'postgres', url: bouncer.url, poolSize: 5, prepared: true });
    const codes = new Set<string>();
    try {
      // Bounded: 30 rounds of 10 statements at once; the first round usually fails already.
      for (let round = 0; round < 30 && codes.size === 0; round += 1) {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            preparing.db
              .selectFrom('instances')
              .select('id')
              .where('slug', '=', `none-${i % 3}`)
              .execute(),
          ),
        );
        for (const result of results) if (result.status === 'rejected') codes.add((result.reason as { code?: string }).code ?? 'none');
      }
    } finally {
      await preparing.close();
    }
    // 26000: prepared statement "k…" does not exist; 42P05: … already exists.
    expect(codes.size).toBeGreaterThan(0);
    for (const code of codes) expect(['26000', '42P05']).toContain(code);
  });

  it('refuses the statement timeout as a startup parameter, as the docs say (08P01): set it on the role instead', async () => {
    const timed = new pg.Client({ connectionString: bouncer.url, statement_timeout: 30000 });
    await expect(timed.connect()).rejects.toMatchObject({ code: '08P01' });
    await timed.end().catch(() => {});
  });
});
