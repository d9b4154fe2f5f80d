import { sql, type Kysely } from 'kysely';

/**
 * Issue 15: `/metrics` reports the mail given up on (`keyward_outbox_dead`) at every scrape. A
 * partial index keeps that count on the few dead rows, not on every sent mail the outbox keeps
 * until housekeeping prunes it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index outbox_dead_idx on outbox (id) where status = 'dead'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists outbox_dead_idx`.execute(db);
}
