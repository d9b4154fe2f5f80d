import { sql, type Kysely } from 'kysely';

/**
 * One active backup code per user, stored as a keyed MAC; outbox bodies sealed at rest, since a
 * queued mail may carry a backup code for as long as SMTP is down.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backup_codes')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('code_mac', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('backup_codes_pk', ['instance_id', 'user_id'])
    .addForeignKeyConstraint('backup_codes_user_fk', ['instance_id', 'user_id'], 'users', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .alterTable('outbox')
    .addColumn('sealed', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`create index outbox_instance_status_idx on outbox (instance_id, status, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists outbox_instance_status_idx`.execute(db);
  await db.schema.alterTable('outbox').dropColumn('sealed').execute();
  await db.schema.dropTable('backup_codes').ifExists().execute();
}
