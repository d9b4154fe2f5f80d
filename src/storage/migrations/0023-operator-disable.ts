import type { Kysely } from 'kysely';

/**
 * Issue 13: `keyward operator disable EMAIL`. A disabled operator keeps their row (the audit log
 * names them) but cannot log in: the login lookup and the session lookup read only operators
 * whose `disabled_at` is null.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operators').addColumn('disabled_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operators').dropColumn('disabled_at').execute();
}
