import { sql, type Kysely } from 'kysely';

/**
 * Issue 12 step 2a, clients per instance (docs/oidc.md, "Clients"): the relying parties an
 * instance's administrators registered. The secret of a confidential client is sealed with the
 * secret box (AES-256-GCM, bound to instance and client id); a public client has none. Tenant-owned:
 * the key leads with instance_id and deleting an instance deletes its clients (TEN-04).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_clients')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('public', 'boolean', (c) => c.notNull())
    .addColumn('sealed_secret', 'text')
    .addColumn('redirect_uris', 'jsonb', (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', 'jsonb', (c) => c.notNull())
    .addColumn('backchannel_logout_uri', 'text')
    .addColumn('default_acr_values', 'jsonb', (c) => c.notNull())
    .addColumn('grant_types', 'jsonb', (c) => c.notNull())
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('oidc_clients_pkey', ['instance_id', 'client_id'])
    // A public client has no secret; a confidential one always has one.
    .addCheckConstraint('oidc_clients_secret_check', sql`(public and sealed_secret is null) or (not public and sealed_secret is not null)`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_clients').execute();
}
