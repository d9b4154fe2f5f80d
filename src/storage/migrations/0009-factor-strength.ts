import { sql, type Kysely } from 'kysely';

/**
 * Which second factor a session verified, next to when (issue 10 item 4). NIST SP 800-63B-4
 * §4.1.2.1: binding or removing an authenticator needs the strongest factor the account has; an
 * emailed backup code is a recovery secret that logs in and nothing more, so only a TOTP
 * verification counts as fresh for sensitive actions. Rows from before stay null: not fresh.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('sessions')
    .addColumn('second_factor_kind', 'text', (c) => c.check(sql`second_factor_kind in ('totp', 'backup_code')`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('second_factor_kind').execute();
}
