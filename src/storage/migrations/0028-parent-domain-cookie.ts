import { sql, type Kysely } from 'kysely';

/**
 * Issue 14, the parent-domain cookie (docs/forward-auth.md, "Parent-domain cookie (opt-in)"):
 *
 * - `protected_apps.cookie_domain`: null (host-only, the default) or the registrable parent
 *   domain of every host of the app, set as the forward cookie's `Domain`.
 * - `forward_sessions.cookie_domain`: the domain the session's cookie was set for (null: a
 *   host-only cookie). The proxy's lookup accepts a session with a domain at every app of the
 *   same instance with that same domain, and a host-only session only at its own app and host.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table protected_apps add column cookie_domain text`.execute(db);
  await sql`alter table forward_sessions add column cookie_domain text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table forward_sessions drop column cookie_domain`.execute(db);
  await sql`alter table protected_apps drop column cookie_domain`.execute(db);
}
