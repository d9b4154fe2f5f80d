import { sql, type Kysely } from 'kysely';

/**
 * Two-factor authentication: confirmed TOTP credentials (secret sealed, last accepted step),
 * enrolment in progress on the session that started it, known locations (trusted devices),
 * throttle counters for the lockout model, and the instance's trust settings.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('instances')
    .addColumn('trust_days', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(30)
        .check(sql`trust_days between 0 and 30`),
    )
    .execute();
  await db.schema
    .alterTable('instances')
    .addColumn('trust_requires_same_network', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();

  await db.schema.alterTable('sessions').addColumn('second_factor_at', 'timestamptz').execute();
  await db.schema.alterTable('sessions').addColumn('pending_totp_secret', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('pending_totp_expires_at', 'timestamptz').execute();

  await db.schema
    .createTable('totp_credentials')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz', (c) => c.notNull())
    // RFC 6238 §5.2: the last accepted time step; a code from this step or older is refused.
    .addColumn('last_used_step', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('totp_credentials_pk', ['instance_id', 'user_id'])
    .addForeignKeyConstraint('totp_credentials_user_fk', ['instance_id', 'user_id'], 'users', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();

  await db.schema
    .createTable('known_locations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('device', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addForeignKeyConstraint('known_locations_user_fk', ['instance_id', 'user_id'], 'users', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('known_locations_user_idx').on('known_locations').columns(['instance_id', 'user_id']).execute();

  await db.schema
    .createTable('throttles')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'timestamptz', (c) => c.notNull())
    // null: failures count until a success clears them (per account, NIST's "in a row");
    // a number: the counter starts over after that many quiet seconds (per IP address).
    .addColumn('decay_seconds', 'integer')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('throttles').ifExists().execute();
  await db.schema.dropTable('known_locations').ifExists().execute();
  await db.schema.dropTable('totp_credentials').ifExists().execute();
  for (const column of ['pending_totp_expires_at', 'pending_totp_secret', 'second_factor_at']) {
    await db.schema.alterTable('sessions').dropColumn(column).execute();
  }
  await db.schema.alterTable('instances').dropColumn('trust_requires_same_network').execute();
  await db.schema.alterTable('instances').dropColumn('trust_days').execute();
}
