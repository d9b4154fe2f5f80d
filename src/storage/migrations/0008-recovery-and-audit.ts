import { sql, type Kysely } from 'kysely';

/**
 * The audit log, and what support operators need to log in: their authenticator app and their
 * own sessions (never rows of `sessions`, so an operator session cannot reach an instance route).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    // null only for events outside every instance (an operator's own login).
    .addColumn('instance_id', 'text', (c) => c.references('instances.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull().check(sql`actor_type in ('user', 'operator', 'cli', 'system')`))
    .addColumn('actor_id', 'text')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    // No foreign key: the trace of a user outlives any change to the user.
    .addColumn('target_id', 'text')
    .addColumn('target_label', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  // Keyset pages newest first, per instance, optionally by action, target or actor.
  await sql`create index audit_events_instance on audit_events (instance_id, id desc)`.execute(db);
  await sql`create index audit_events_action on audit_events (instance_id, action, id desc)`.execute(db);
  await sql`create index audit_events_target on audit_events (instance_id, target_id, id desc) where target_id is not null`.execute(db);
  await sql`create index audit_events_actor on audit_events (instance_id, actor_id, id desc) where actor_id is not null`.execute(db);
  await sql`create index audit_events_operator on audit_events (actor_id, id desc) where actor_type = 'operator'`.execute(db);
  // Why a trigger: append-only must hold for every code path and every SQL client of the
  // application's role, not only for the code we wrote (ASVS 16.4.2: logs protected from change).
  await sql`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_events_no_change before update or delete on audit_events
            for each row execute function audit_events_append_only()`.execute(db);
  await sql`create trigger audit_events_no_truncate before truncate on audit_events
            for each statement execute function audit_events_append_only()`.execute(db);

  await db.schema
    .alterTable('operators')
    .addColumn('totp_secret_sealed', 'text')
    .addColumn('totp_last_used_step', 'bigint')
    .addColumn('totp_confirmed_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('operator_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('verify', 'setup', 'done')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('second_factor_at', 'timestamptz')
    .addColumn('pending_totp_secret', 'text')
    .addColumn('pending_totp_expires_at', 'timestamptz')
    .execute();
  await sql`create index operator_sessions_operator on operator_sessions (operator_id)`.execute(db);
  await sql`create index operator_sessions_expires on operator_sessions (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('operator_sessions').execute();
  await db.schema
    .alterTable('operators')
    .dropColumn('totp_confirmed_at')
    .dropColumn('totp_last_used_step')
    .dropColumn('totp_secret_sealed')
    .execute();
  await db.schema.dropTable('audit_events').execute();
  await sql`drop function audit_events_append_only()`.execute(db);
}
