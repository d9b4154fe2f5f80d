import { sql, type Kysely } from 'kysely';
import type { UserDirectoryStore, UserPageQuery } from '../domain/admin/user-directory.ts';
import type { Database } from './schema.ts';
import { toUser, type UserColumns } from './rows.ts';
import { twoFactorStatusSql } from './policy-sql.ts';
import { emailKey } from '../domain/account/user.ts';
import { PLANNED_PER_RUN } from './prepared.ts';

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
      // A word of three or more characters is looked for anywhere in the email or name, through the
      // trigram index (migration 0022), in one branch per pair; shorter input has no trigram and
      // stays a prefix range on each field's btree index (the list's indexes, as before).
      const substring = query.prefix !== null && isTrigramSearch(query.prefix);
      const fields: Array<'email' | 'name' | 'any' | null> = !query.prefix ? [null] : substring ? ['any'] : ['email', 'name'];
      const branches = (query.pairs ?? [null]).flatMap((pair) => fields.map((field) => branch(instanceId, query, pair, field)));
      // Planned for its values on every run (connect.ts PLANNED_PER_RUN): a word search's generic plan ignored the trigram index.
      const { rows } = await sql<UserColumns & { totp_associated: boolean; invited: boolean; sort_key: string }>`${sql.raw(PLANNED_PER_RUN)}
        select * from (${sql.join(branches, query.prefix && !substring ? sql` union ` : sql` union all `)}) as page
        order by sort_key collate "C", id limit ${query.limit}`.execute(db);
      return rows.map((row) => ({ ...toUser(row), associated: row.totp_associated, invited: Boolean(row.invited), sortKey: row.sort_key }));
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
    async countMatches(query, cap) {
      if (query.pairs && query.pairs.length === 0) return 0;
      // Bounded (issue 13): at most cap + 1 rows are counted, on the same index conditions as the page, so the
      // number costs what a page of that size costs at a million users; the caller says "cap+" beyond.
      const conditions = [sql`instance_id = ${instanceId}`, searchCondition(query.prefix)];
      if (query.pairs)
        conditions.push(
          sql`(${sql.join(
            query.pairs.map((pair) => sql`(totp_associated = ${pair.associated} and two_factor_enabled = ${pair.enabled})`),
            sql` or `,
          )})`,
        );
      const { rows } = await sql<{ n: number }>`${sql.raw(PLANNED_PER_RUN)}
        select count(*)::int as n from (select 1 from users where ${sql.join(conditions, sql` and `)} limit ${cap + 1}) as matched`.execute(
        db,
      );
      return Number(rows[0]?.n ?? 0);
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

/** Trigrams need three characters: below that, a search is a prefix (docs/policy-and-users.md). */
export function isTrigramSearch(text: string): boolean {
  return [...text].length >= 3;
}

/** `text` inside a LIKE pattern as itself: its wildcards and the escape character escaped. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/**
 * A word anywhere in the email or the name, each lower-cased as its key is (prefixRange says
 * why), as LIKE patterns the trigram index (email_key, lower(name)) answers.
 */
function substringMatch(text: string) {
  const email = `%${likeLiteral(emailKey(text))}%`;
  return sql`(email_key like ${email} or lower(name) like ('%' || replace(replace(replace(lower(${text}::text), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'))`;
}

/** The search as one condition: a word anywhere (three characters or more), or a prefix of either field. */
function searchCondition(text: string | null) {
  if (!text) return sql`true`;
  if (isTrigramSearch(text)) return substringMatch(text);
  return sql`((${prefixRange('email', text)}) or (${prefixRange('name', text)}))`;
}

function branch(
  instanceId: string,
  query: UserPageQuery,
  pair: { associated: boolean; enabled: boolean } | null,
  field: 'email' | 'name' | 'any' | null,
) {
  const key = SORT_KEY[query.sort];
  const conditions = [sql`instance_id = ${instanceId}`];
  if (pair) conditions.push(sql`totp_associated = ${pair.associated}`, sql`two_factor_enabled = ${pair.enabled}`);
  if (query.prefix && field) conditions.push(field === 'any' ? substringMatch(query.prefix) : prefixRange(field, query.prefix));
  if (query.after) conditions.push(sql`(${key}, id) > (${query.after.key} collate "C", ${query.after.id})`);
  return sql`(select id, instance_id, email, email_key, name, role, status, two_factor_enabled, password_changed_at, created_at,
                     setup_postponements, totp_associated, password_hash is null as invited, ${key} as sort_key
              from users where ${sql.join(conditions, sql` and `)}
              order by ${key}, id limit ${query.limit})`;
}
