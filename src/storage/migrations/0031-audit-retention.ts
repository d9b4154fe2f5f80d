import { sql, type Kysely } from 'kysely';

/**
 * Issue 15: audit retention (KEYWARD_AUDIT_RETENTION_DAYS). Housekeeping deletes events older than
 * the retention, oldest first, in bounded batches found on `audit_events_at`, so a prune never
 * scans the table. An expand step only: a new index, and the append-only trigger function
 * replaced by one that refuses the same changes as before except a DELETE in a transaction that
 * said `set local keyward.audit_prune = 'on'`. Versions before this one never say it, so they
 * serve unchanged on the migrated database.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // `if not exists`: on a big log an operator may build it beforehand with `create index concurrently`
  // (docs/operations.md), since a plain build holds audit inserts, and so logins, until it is done.
  await sql`create index if not exists audit_events_at on audit_events (at)`.execute(db);
  // Why a transaction-local switch and not dropping the trigger: append-only must still hold for
  // every other code path and SQL client of the application's role (ASVS 16.4.2, logs protected
  // from change); only the prune says it wants to delete, for its own transaction (SET LOCAL ends
  // with it, so no pooled connection keeps it). UPDATE and TRUNCATE stay refused always. This
  // guards against mistakes, not against the table's owner, who could drop the trigger anyway.
  await sql`
    create or replace function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and current_setting('keyward.audit_prune', true) = 'on' then
        return old;
      end if;
      raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`drop index if exists audit_events_at`.execute(db);
}
