import type { Kysely } from 'kysely';

/**
 * Issue 10 items 10 and 11: device tokens of support operators' browsers (they only keep an
 * operator's own browser out of strangers' lockouts; they never skip the code), and the queue of
 * "forgot password" requests, which a background worker turns into reset mail.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operator_devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('operator_devices_operator_idx').on('operator_devices').column('operator_id').execute();

  await db.schema
    .createTable('password_reset_requests')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('instance_slug', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('password_reset_requests').execute();
  await db.schema.dropTable('operator_devices').execute();
}
