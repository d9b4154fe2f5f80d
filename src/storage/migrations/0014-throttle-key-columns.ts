import { sql, type Kysely } from 'kysely';

/** The scopes of domain/throttle/throttle.ts (ThrottleScope) and the prefixes their old keys had. */
const SCOPES: Array<[scope: string, prefix: string]> = [
  ['operator_password', 'pw:#support:'],
  ['password', 'pw:'],
  ['operator_second_factor', '2fa:op:'],
  ['second_factor', '2fa:'],
  ['address', 'ip:'],
  ['device', 'dev:'],
  ['reauth', 'reauth:'],
  ['link', 'link:'],
];

/**
 * Throttle keys as columns (issue 11): scope, instance slug and subject instead of one string
 * like `pw:<slug>:<email>` that the SQL of the session lookup and of the reset rebuilt by
 * concatenation. The instance slug is set for the password scope only: its key names the pair as
 * typed, so an unknown instance has a key too (same answer, same work: RL-07).
 *
 * Existing rows are converted, not dropped: an account's counters are not short-lived (NIST SP
 * 800-63B counts failures "in a row" until a success, and the hard limit holds until an
 * administrator acts), so dropping them would unlock accounts under attack. The prefixes are
 * taken in order, longest first ('pw:#support:' before 'pw:', '2fa:op:' before '2fa:'); a row of
 * no known prefix (none is ever written) is dropped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table throttles add column scope text, add column instance_slug text, add column subject text`.execute(db);
  const scopeOf = sql.join(
    SCOPES.map(([scope, prefix]) => sql`when starts_with(key, ${prefix}) then ${scope}`),
    sql` `,
  );
  await sql`update throttles set scope = case ${scopeOf} end`.execute(db);
  for (const [scope, prefix] of SCOPES) {
    await sql`update throttles set subject = substr(key, ${prefix.length + 1}) where scope = ${scope}`.execute(db);
  }
  // 'pw:<slug>:<email key>': a slug never holds ':', the email key may.
  await sql`update throttles set instance_slug = split_part(subject, ':', 1), subject = substr(subject, strpos(subject, ':') + 1)
            where scope = 'password'`.execute(db);
  await sql`delete from throttles where scope is null`.execute(db);
  await sql`alter table throttles drop constraint throttles_pkey`.execute(db);
  await sql`alter table throttles drop column key`.execute(db);
  await sql`alter table throttles alter column scope set not null, alter column subject set not null`.execute(db);
  await sql`alter table throttles add constraint throttles_scope_check
            check (scope in ('password', 'second_factor', 'address', 'device', 'reauth', 'link', 'operator_password', 'operator_second_factor'))`.execute(
    db,
  );
  await sql`alter table throttles add constraint throttles_instance_check check ((scope = 'password') = (instance_slug is not null))`.execute(
    db,
  );
  // NULLS NOT DISTINCT (PostgreSQL 15): one row per key also where the key names no instance.
  await sql`create unique index throttles_key_idx on throttles (scope, subject, instance_slug) nulls not distinct`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table throttles add column key text`.execute(db);
  const keyOf = sql.join(
    SCOPES.map(([scope, prefix]) =>
      scope === 'password'
        ? sql`when ${scope} then ${prefix} || instance_slug || ':' || subject`
        : sql`when ${scope} then ${prefix} || subject`,
    ),
    sql` `,
  );
  await sql`update throttles set key = case scope ${keyOf} end`.execute(db);
  await sql`drop index throttles_key_idx`.execute(db);
  await sql`alter table throttles drop column scope, drop column instance_slug, drop column subject`.execute(db);
  await sql`alter table throttles add primary key (key)`.execute(db);
}
