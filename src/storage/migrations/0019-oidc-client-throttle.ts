import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, the throttle of client authentication at the token endpoint (docs/oidc.md,
 * "Throttling the token endpoint"): scope `oidc_client`, whose key names the issuer's instance
 * (slug) and the client id, like the password scope's (instance, email).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table throttles drop constraint throttles_scope_check`.execute(db);
  await sql`alter table throttles add constraint throttles_scope_check
            check (scope in ('password', 'second_factor', 'address', 'device', 'reauth', 'link', 'operator_password',
                             'operator_second_factor', 'oidc_client'))`.execute(db);
  await sql`alter table throttles drop constraint throttles_instance_check`.execute(db);
  await sql`alter table throttles add constraint throttles_instance_check
            check ((scope in ('password', 'oidc_client')) = (instance_slug is not null))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from throttles where scope = 'oidc_client'`.execute(db);
  await sql`alter table throttles drop constraint throttles_instance_check`.execute(db);
  await sql`alter table throttles add constraint throttles_instance_check check ((scope = 'password') = (instance_slug is not null))`.execute(
    db,
  );
  await sql`alter table throttles drop constraint throttles_scope_check`.execute(db);
  await sql`alter table throttles add constraint throttles_scope_check
            check (scope in ('password', 'second_factor', 'address', 'device', 'reauth', 'link', 'operator_password',
                             'operator_second_factor'))`.execute(db);
}
