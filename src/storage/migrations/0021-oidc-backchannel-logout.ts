import { sql, type Kysely } from 'kysely';

/** Migration 0020's trigger body after the queueing below: the linked state goes. */
const REVOKE = sql`delete from oidc_state where instance_id = old.instance_id and keyward_session_id = old.id;`;

/**
 * Issue 12, back-channel logout (docs/oidc.md "Logout"; OpenID Connect Back-Channel Logout 1.0):
 * a logout token owed to a client, one row per (instance, client, sid), delivered by a worker
 * (src/http/oidc/backchannel-worker.ts) with retries and backoff, and kept (delivered_at) so it is
 * sent once. The trigger of migration 0020, whatever path deleted the keyward session, first
 * queues one row for each client of each provider Session linked to it whose registration names
 * a `backchannel_logout_uri` (the `authorizations` of the library's Session payload: client id →
 * `sid`), then deletes the linked state, in the same transaction as the deletion: the queue is
 * durable before anything is forgotten. No foreign key to instances: a deletion of an instance
 * deletes its sessions by cascade, and an insert under it would fail the instance's deletion;
 * the worker drops the rows of an instance that is gone, housekeeping the delivered ones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oidc_logout_deliveries')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('sid', 'text', (c) => c.notNull())
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // null: due now (the trigger knows the database's clock only, the worker its own).
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('claimed_until', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('dead', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_error', 'text')
    .addPrimaryKeyConstraint('oidc_logout_deliveries_pkey', ['instance_id', 'client_id', 'sid'])
    .execute();
  await sql`create index oidc_logout_deliveries_due_idx on oidc_logout_deliveries (next_attempt_at) where delivered_at is null and not dead`.execute(
    db,
  );
  await sql`
    create or replace function keyward_oidc_session_ended() returns trigger language plpgsql as $$
    begin
      insert into oidc_logout_deliveries (instance_id, client_id, sid, sub)
      select st.instance_id, a.key, a.value->>'sid', st.payload->>'accountId'
      from oidc_state st
      cross join lateral jsonb_each(case when jsonb_typeof(st.payload->'authorizations') = 'object' then st.payload->'authorizations' else '{}'::jsonb end) a
      join oidc_clients c on c.instance_id = st.instance_id and c.client_id = a.key and c.backchannel_logout_uri is not null
      where st.instance_id = old.instance_id and st.keyward_session_id = old.id and st.model = 'Session'
        and a.value->>'sid' is not null and st.payload->>'accountId' is not null
      on conflict do nothing;
      ${REVOKE}
      return null;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function keyward_oidc_session_ended() returns trigger language plpgsql as $$
    begin
      ${REVOKE}
      return null;
    end $$`.execute(db);
  await db.schema.dropTable('oidc_logout_deliveries').execute();
}
