import { sql, type Kysely } from 'kysely';

/**
 * Emails in Unicode NFC (issue 10 item 19): `zoë` typed composed and decomposed is one address.
 * New rows are normalised by the domain (parseEmail, emailKey); this brings the stored ones in
 * line. A row whose normal form is already another row's key of the same instance is left as
 * it is: merging two accounts is a person's decision, and the unique key must hold.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, scope] of [
    ['users', sql`o.instance_id = t.instance_id and`],
    ['operators', sql``],
  ] as const) {
    await sql`
      update ${sql.table(table)} t set email = normalize(t.email, NFC), email_key = normalize(t.email_key, NFC)
      where (t.email <> normalize(t.email, NFC) or t.email_key <> normalize(t.email_key, NFC))
        and not exists (
          select 1 from ${sql.table(table)} o
          where ${scope} o.id <> t.id and normalize(o.email_key, NFC) = normalize(t.email_key, NFC)
        )`.execute(db);
  }
}

/** Nothing to undo: the NFC forms are the same addresses. */
export async function down(): Promise<void> {}
