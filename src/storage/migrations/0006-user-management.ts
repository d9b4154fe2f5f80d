import { sql, type Kysely } from 'kysely';

/**
 * Invitations and password resets (single-use tokens stored as SHA-256), the "ask to enable 2FA"
 * marker (at most one mail a day per user), and daily 2FA adoption snapshots for the chart.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('invitation', 'reset')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addForeignKeyConstraint('account_tokens_user_fk', ['instance_id', 'user_id'], 'users', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('account_tokens_user_idx').on('account_tokens').columns(['instance_id', 'user_id']).execute();
  await db.schema.alterTable('users').addColumn('two_factor_requested_at', 'timestamptz').execute();
  await db.schema
    .createTable('two_factor_adoption')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('active', 'bigint', (c) => c.notNull())
    .addColumn('pending', 'bigint', (c) => c.notNull())
    .addColumn('off', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('two_factor_adoption_pk', ['instance_id', 'day'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('two_factor_adoption').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('two_factor_requested_at').execute();
  await db.schema.dropTable('account_tokens').ifExists().execute();
}
