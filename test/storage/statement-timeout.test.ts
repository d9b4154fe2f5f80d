/** KEYWARD_PG_STATEMENT_TIMEOUT_MS: the server cancels a statement running longer; the pool goes on serving. PostgreSQL only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/storage/connect.ts';

describe.skipIf(!process.env.TEST_DATABASE_URL)('the PostgreSQL statement timeout', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'postgres', url: process.env.TEST_DATABASE_URL!, poolSize: 1, statementTimeoutMs: 200 });
  });
  afterAll(async () => {
    await database.close();
  });

  it('cancels a statement running longer than the timeout (57014), and the one connection serves the next', async () => {
    await expect(sql`select pg_sleep(2)`.execute(database.db)).rejects.toMatchObject({ code: '57014' });
    const { rows } = await sql<{ n: number }>`select 1 as n`.execute(database.db);
    expect(rows).toEqual([{ n: 1 }]);
    expect((await sql<{ statement_timeout: string }>`show statement_timeout`.execute(database.db)).rows[0]!.statement_timeout).toBe(
      '200ms',
    );
    // A transaction that waits past it fails as a whole and is rolled back; the pool is usable after.
    await expect(
      database.db.transaction().execute(async (tx) => {
        await sql`select pg_sleep(1)`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: '57014' });
    expect(database.poolStats()).toMatchObject({ total: 1, waiting: 0 });
    expect((await sql<{ n: number }>`select 2 as n`.execute(database.db)).rows).toEqual([{ n: 2 }]);
  });

  it('has no limit when the setting is 0', async () => {
    const unlimited = await openDatabase({ kind: 'postgres', url: process.env.TEST_DATABASE_URL!, poolSize: 1, statementTimeoutMs: 0 });
    try {
      expect((await sql<{ statement_timeout: string }>`show statement_timeout`.execute(unlimited.db)).rows[0]!.statement_timeout).toBe('0');
    } finally {
      await unlimited.close();
    }
  });
});
