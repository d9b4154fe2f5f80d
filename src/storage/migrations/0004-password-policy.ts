import { sql, type Kysely } from 'kysely';

/**
 * The instance's password policy (2FA auto-enable and enforcement, password rules) as columns of
 * the instance, so every session lookup already has it; per-user setup postponements; and the
 * password history for `historyCount`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const columns: Array<[string, string, (c: any) => any]> = [
    ['two_factor_auto_enable', 'boolean', (c) => c.notNull().defaultTo(false)],
    ['two_factor_enforce_setup', 'boolean', (c) => c.notNull().defaultTo(false)],
    ['two_factor_enforce_from', 'timestamptz', (c) => c],
    ['two_factor_max_postpones', 'integer', (c) => c],
    ['password_min_length', 'integer', (c) => c.notNull().defaultTo(12)],
    ['password_max_age_days', 'integer', (c) => c],
    ['password_warn_days', 'integer', (c) => c],
    ['password_history_count', 'integer', (c) => c.notNull().defaultTo(0)],
  ];
  for (const [name, type, build] of columns) {
    await db.schema
      .alterTable('instances')
      .addColumn(name, type as any, build)
      .execute();
  }
  await db.schema
    .alterTable('users')
    .addColumn('setup_postponements', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('password_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addForeignKeyConstraint('password_history_user_fk', ['instance_id', 'user_id'], 'users', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await sql`create index password_history_user_idx on password_history (instance_id, user_id, id desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('password_history').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('setup_postponements').execute();
  for (const name of [
    'password_history_count',
    'password_warn_days',
    'password_max_age_days',
    'password_min_length',
    'two_factor_max_postpones',
    'two_factor_enforce_from',
    'two_factor_enforce_setup',
    'two_factor_auto_enable',
  ]) {
    await db.schema.alterTable('instances').dropColumn(name).execute();
  }
}
