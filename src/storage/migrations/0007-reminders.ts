import type { Kysely } from 'kysely';

/** When a user was last reminded to set up 2FA, and warned that their password expires. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('setup_reminded_at', 'timestamptz').execute();
  await db.schema.alterTable('users').addColumn('password_warned_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('password_warned_at').execute();
  await db.schema.alterTable('users').dropColumn('setup_reminded_at').execute();
}
