import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * Issue 15: the key check (src/domain/maintenance/key-check.ts), one row: a value sealed with
 * KEYWARD_SECRET_KEY, which every process must open before it serves.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('key_check')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('sealed_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('key_check').execute();
}
