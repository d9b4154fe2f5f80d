import { sql, type Kysely } from 'kysely';

/**
 * Issue 14, forward auth (docs/forward-auth.md): the applications an instance protects through a
 * reverse proxy, the hosts that name them, and the sessions a browser holds on those hosts.
 *
 * - `protected_apps`: tenant-owned, with the internal OpenID Connect client created with it
 *   (`oidc_clients.owner_app_id` marks that client as the app's, so the client API does not show,
 *   change or delete it on its own).
 * - `protected_app_hosts`: the host is the primary key, across all instances, because the proxy's
 *   request names a host and nothing else: one host must pick exactly one app (a 409 otherwise).
 * - `forward_sessions`: `id.secret` tokens with only SHA-256(secret) stored, each bound to the
 *   keyward session it was made from (deleted with it: logout, reset, disable, password change
 *   end every app's access too) and to its app (deleted with it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table oidc_clients add column owner_app_id text`.execute(db);
  await db.schema
    .createTable('protected_apps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rules', 'jsonb', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('protected_apps_instance_id_key', ['instance_id', 'id'])
    .addForeignKeyConstraint('protected_apps_client_fk', ['instance_id', 'client_id'], 'oidc_clients', ['instance_id', 'client_id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('protected_apps_instance_idx').on('protected_apps').columns(['instance_id', 'created_at']).execute();
  await db.schema
    .createTable('protected_app_hosts')
    .addColumn('host', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('protected_app_hosts_app_fk', ['instance_id', 'app_id'], 'protected_apps', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('protected_app_hosts_app_idx').on('protected_app_hosts').columns(['instance_id', 'app_id']).execute();
  await db.schema
    .createTable('forward_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addForeignKeyConstraint('forward_sessions_app_fk', ['instance_id', 'app_id'], 'protected_apps', ['instance_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('forward_sessions_session_idx').on('forward_sessions').column('session_id').execute();
  await db.schema.createIndex('forward_sessions_app_idx').on('forward_sessions').columns(['instance_id', 'app_id']).execute();
  await db.schema.createIndex('forward_sessions_expires_idx').on('forward_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('forward_sessions').execute();
  await db.schema.dropTable('protected_app_hosts').execute();
  await db.schema.dropTable('protected_apps').execute();
  await sql`alter table oidc_clients drop column owner_app_id`.execute(db);
}
