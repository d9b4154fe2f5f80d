import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, the OpenID Connect provider (docs/oidc.md): the state oidc-provider keeps through its
 * adapter interface (sessions, grants, codes, tokens, interactions) in one table, and each
 * instance's signing keys, sealed with KEYWARD_SECRET_KEY. Both are tenant-owned: instance_id
 * leads every key and index, and deleting an instance deletes them (TEN-04).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_state')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('consumed_at', 'timestamptz')
    .addPrimaryKeyConstraint('oidc_state_pkey', ['instance_id', 'model', 'id'])
    .execute();
  // revokeByGrantId, findByUid and findByUserCode, each within one instance; expiry for housekeeping.
  await sql`create index oidc_state_grant_idx on oidc_state (instance_id, grant_id) where grant_id is not null`.execute(db);
  await sql`create index oidc_state_uid_idx on oidc_state (instance_id, model, uid) where uid is not null`.execute(db);
  await sql`create index oidc_state_user_code_idx on oidc_state (instance_id, model, user_code) where user_code is not null`.execute(db);
  await sql`create index oidc_state_expires_idx on oidc_state (expires_at) where expires_at is not null`.execute(db);

  await db.schema
    .createTable('oidc_signing_keys')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('alg', 'text', (c) => c.notNull().check(sql`alg in ('ES256', 'RS256')`))
    .addColumn('sealed_private_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('retired_at', 'timestamptz')
    .addPrimaryKeyConstraint('oidc_signing_keys_pkey', ['instance_id', 'kid'])
    .execute();
  // One signing key per algorithm and instance: two processes creating the first keys at once
  // insert one each, and the loser reads the winner's (retired keys stay for verification).
  await sql`create unique index oidc_signing_keys_active_idx on oidc_signing_keys (instance_id, alg) where retired_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oidc_signing_keys').execute();
  await db.schema.dropTable('oidc_state').execute();
}
