import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, one session of record (docs/oidc.md "Logout"): the provider's state made from a keyward
 * session names it (`keyward_session_id`: the provider's Session and Grant from the authorization
 * request, codes and tokens inherited from their grant), and nothing of it outlives that session.
 * The adapter's finds answer nothing once the session is gone, expired, idle or its user inactive
 * (oidc-state-store.ts); and whenever a `sessions` row is deleted, whatever deletes it (logout, a
 * reset, a password change, a disable, the sessions list, housekeeping, a user's deletion), this
 * trigger deletes the state linked to it in the same transaction: one home for the rule, not one
 * line in every path that ends a session. A step-up keeps its session's state: the swap's
 * statement moves the link to the new id before the old row's trigger runs (AFTER triggers fire
 * at the end of the statement).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table oidc_state add column keyward_session_id text`.execute(db);
  await sql`create index oidc_state_keyward_session_idx on oidc_state (instance_id, keyward_session_id) where keyward_session_id is not null`.execute(
    db,
  );
  await sql`
    create function keyward_oidc_session_ended() returns trigger language plpgsql as $$
    begin
      delete from oidc_state where instance_id = old.instance_id and keyward_session_id = old.id;
      return null;
    end $$`.execute(db);
  await sql`create trigger sessions_oidc_state_ended after delete on sessions
    for each row execute function keyward_oidc_session_ended()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists sessions_oidc_state_ended on sessions`.execute(db);
  await sql`drop function if exists keyward_oidc_session_ended()`.execute(db);
  await sql`drop index if exists oidc_state_keyward_session_idx`.execute(db);
  await sql`alter table oidc_state drop column keyward_session_id`.execute(db);
}
