import { sql, type Kysely } from 'kysely';

/**
 * Administrator recovery codes (issue 10 item 3, docs/recovery-and-audit.md): a one-time code an
 * administrator hands over in person or by phone, stored like the links (SHA-256 only) as an
 * account token of purpose `recovery`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table account_tokens drop constraint account_tokens_purpose_check`.execute(db);
  await sql`alter table account_tokens add constraint account_tokens_purpose_check check (purpose in ('invitation', 'reset', 'recovery'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from account_tokens where purpose = 'recovery'`.execute(db);
  await sql`alter table account_tokens drop constraint account_tokens_purpose_check`.execute(db);
  await sql`alter table account_tokens add constraint account_tokens_purpose_check check (purpose in ('invitation', 'reset'))`.execute(db);
}
