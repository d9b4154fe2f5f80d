import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, machine access to the admin API (docs/oidc.md, "Machine access"): a change made with a
 * client_credentials token names the client as the event's actor, `actor_type` `oidc_client`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_events drop constraint audit_events_actor_type_check`.execute(db);
  await sql`alter table audit_events add constraint audit_events_actor_type_check
            check (actor_type in ('user', 'operator', 'cli', 'system', 'oidc_client'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_events drop constraint audit_events_actor_type_check`.execute(db);
  await sql`alter table audit_events add constraint audit_events_actor_type_check
            check (actor_type in ('user', 'operator', 'cli', 'system'))`.execute(db);
}
