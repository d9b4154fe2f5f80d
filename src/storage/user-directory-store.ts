import { sql, type Kysely } from 'kysely';
import type { UserDirectoryStore, UserPageQuery } from '../domain/admin/user-directory.ts';
import type { Database } from './schema.ts';
import { toUser, type UserColumns } from './rows.ts';
import { twoFactorStatusSql } from './policy-sql.ts';
import { emailKey } from '../domain/account/user.ts';

/** The largest code point: `prefix || MAX` bounds every string that starts with `prefix` ("C" order). */
const MAX_CHAR = String.fromCodePoint(0x10ffff);

export function userDirectoryStore(db: Kysely<Database>, instanceId: string): UserDirectoryStore {
  return {
    async page(query) {
      if (query.pairs && query.pairs.length === 0) return [];
      // One ordered index range per (associated, enabled) pair, merged: each subquery walks its
      // own index range from the cursor, so a deep page costs what the first page costs.
      // A prefix search is two ranges (email, name), each on its own index; UNION drops a user
      // found by both.
      const fields: Array<'email' | 'name' | null> = query.prefix ? ['email', 'name'] : [null];
      const branches = (query.pairs ?? [null]).flatMap((pair) => fields.map((field) => branch(instanceId, query, pair, field)));
      const { rows } = await sql<UserColumns & { totp_associated: boolean; sort_key: string }>`
        select * from (${sql.join(branches, query.prefix ? sql` union ` : sql` union all `)}) as page
        order by sort_key collate "C", id limit ${query.limit}`.execute(db);
      return rows.map((row) => ({ ...toUser(row), associated: row.totp_associated, sortKey: row.sort_key }));
    },
    async requestTwoFactor(mail, now, askedBefore) {
      // "Whose status is off" (SPEC rule 1) is effectiveTwoFactorStatus's, through its one SQL
      // copy (policy-sql.ts), under the instance's auto-enable as stored; policy-sql.test.ts pins
      // this statement's pick to the domain rule over every stored state.
      const status = twoFactorStatusSql(sql.ref('u.two_factor_enabled'), sql.ref('u.totp_associated'), sql.ref('i.two_factor_auto_enable'));
      const { rows } = await sql<{ n: number }>`
        with asked as (
          update users u set two_factor_requested_at = ${now}
          from instances i
          where u.instance_id = ${instanceId} and i.id = u.instance_id and u.status = 'active' and ${status} = 'off'
            and (u.two_factor_requested_at is null or u.two_factor_requested_at < ${askedBefore})
          returning u.email
        ), mailed as (
          insert into outbox (instance_id, recipient, subject, text_body, html_body, sealed, next_attempt_at, created_at)
          select ${instanceId}, email, ${mail.subject}, ${mail.text}, ${mail.html}, false, ${now}::timestamptz, ${now}::timestamptz from asked
        )
        select count(*)::int as n from asked`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },
    async adoption(since) {
      const { rows } = await sql<{ day: string; active: number; pending: number; off: number }>`
        select to_char(day, 'YYYY-MM-DD') as day, active, pending, off from two_factor_adoption
        where instance_id = ${instanceId} and day >= ${since.toISOString().slice(0, 10)}::date order by day`.execute(db);
      return rows.map((row) => ({ day: row.day, active: Number(row.active), pending: Number(row.pending), off: Number(row.off) }));
    },
    async counts() {
      const rows = await db
        .selectFrom('user_counts')
        .select(['enabled', 'associated', 'n'])
        .where('instance_id', '=', instanceId)
        .execute();
      return rows.map((row) => ({ enabled: row.enabled, associated: row.associated, n: Number(row.n) }));
    },
  };
}

/**
 * The key each order sorts by, as its index has it. Why each key is computed on one side only:
 * the email's in JavaScript (emailKey, written into email_key), the name's in PostgreSQL
 * (lower(name), the index expression); a row returns its key (sort_key) for the cursor, and a
 * search prefix is lower-cased by the same function as the field it is compared with. The two
 * lower-casings differ: JavaScript's toLowerCase() applies Unicode's full case mapping
 * (SpecialCasing.txt: 'İ' to 'i̇', two code points; a final 'Σ' to 'ς'), PostgreSQL's lower()
 * under a libc locale maps one character at a time (towlower: 'İ' to 'i', every 'Σ' to 'σ'). A
 * cursor or prefix lowered on the other side skipped users ("İlker" continued past "Ingrid"),
 * listed one again on every page ("ΟΔΥΣΣΕΑΣ") or found nobody (?q=İlker): an administrator
 * could not find the account to disable.
 */
const SORT_KEY = { email: sql`email_key collate "C"`, name: sql`lower(name) collate "C"` };

function prefixRange(field: 'email' | 'name', prefix: string) {
  // The typed prefix lower-cased as the field's key was: by emailKey as email_key, by lower() as lower(name).
  const lowered = field === 'email' ? sql`${emailKey(prefix)}::text` : sql`lower(${prefix}::text)`;
  return sql`${SORT_KEY[field]} >= ${lowered} collate "C" and ${SORT_KEY[field]} < (${lowered} || ${MAX_CHAR}::text) collate "C"`;
}

function branch(
  instanceId: string,
  query: UserPageQuery,
  pair: { associated: boolean; enabled: boolean } | null,
  field: 'email' | 'name' | null,
) {
  const key = SORT_KEY[query.sort];
  const conditions = [sql`instance_id = ${instanceId}`];
  if (pair) conditions.push(sql`totp_associated = ${pair.associated}`, sql`two_factor_enabled = ${pair.enabled}`);
  if (query.prefix && field) conditions.push(prefixRange(field, query.prefix));
  if (query.after) conditions.push(sql`(${key}, id) > (${query.after.key} collate "C", ${query.after.id})`);
  return sql`(select id, instance_id, email, email_key, name, role, status, two_factor_enabled, password_changed_at, created_at,
                     setup_postponements, totp_associated, ${key} as sort_key
              from users where ${sql.join(conditions, sql` and `)}
              order by ${key}, id limit ${query.limit})`;
}
