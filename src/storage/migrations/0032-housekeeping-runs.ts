import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * Issue 15: when housekeeping last ran, one row for every process on the database, so it runs
 * once per KEYWARD_HOUSEKEEPING_INTERVAL_SECONDS across all of them (housekeepingStore.claimRun).
 * An expand step only: a new table, which older versions never read.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('housekeeping_runs')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('last_run_at', 'timestamptz', (c) => c.notNull())
    .addColumn('runs', 'bigint', (c) => c.notNull().defaultTo(1))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('housekeeping_runs').execute();
}
