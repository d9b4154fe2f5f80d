/**
 * Housekeeping once per interval across processes (issue 15): two real servers on one PostgreSQL
 * database, with KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS=1, and a user due the 2FA setup reminder.
 * PostgreSQL only (PGlite is one process's).
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { freshPostgresDatabase } from '../support/db.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { openDatabase } from '../../src/storage/connect.ts';
import { migrateToLatest } from '../../src/storage/migrate.ts';
import { givenInstance, givenUser, TEST_SECRET_KEY, testDeps } from '../support/deps.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('housekeeping with two server processes on one database', () => {
  it('runs once per interval across both, and sends the due reminder exactly once', async () => {
    const fresh = await freshPostgresDatabase();
    const database = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 2 });
    const sink = new SmtpSink();
    const servers: ServerProcess[] = [];
    try {
      await migrateToLatest(database.db);
      const deps = await testDeps(database);
      const { instance } = await givenInstance(deps);
      const member = await givenUser(deps, instance);
      // Due as in reminders.test.ts: 2FA on for everyone (auto-enable), no app, the account over a week old.
      await sql`update instances set two_factor_auto_enable = true where id = ${instance.id}`.execute(database.db);
      await sql`update users set created_at = now() - interval '8 days' where id = ${member.id}`.execute(database.db);
      await sink.start();
      const env = {
        DATABASE_URL: fresh.url,
        KEYWARD_SECRET_KEY: TEST_SECRET_KEY,
        SMTP_URL: sink.url,
        KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS: '1',
      };
      servers.push(...(await Promise.all([startServer(env), startServer(env)])));
      const started = Date.now();
      // Several intervals: bounded at 6 s.
      while (Date.now() - started < 6000) await new Promise((resolve) => setTimeout(resolve, 250));
      const elapsedSeconds = (Date.now() - started) / 1000;
      const reminders = sink.received.filter((mail) => mail.to.includes(member.email) && mail.subject.startsWith('Set up two-factor'));
      expect(reminders).toHaveLength(1);
      // Two processes ticking every second would run it about twice a second without the claim.
      const { rows } = await sql<{ runs: number }>`select runs from housekeeping_runs`.execute(database.db);
      expect(rows[0]!.runs).toBeGreaterThanOrEqual(3);
      expect(rows[0]!.runs).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 2);
      // Each process reads the 2FA adoption gauges on its ticks, claimed or not: two users, none with an app.
      for (const server of servers) {
        const body = await (await fetch(`${server.origin}/metrics`)).text();
        expect(body).toMatch(/^keyward_users 2$/m);
        expect(body).toMatch(/^keyward_users_two_factor 0$/m);
        expect(body).not.toMatch(/^keyward_users\{/m);
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await sink.stop();
      await database.close();
      await fresh.drop();
    }
  }, 120_000);
});
