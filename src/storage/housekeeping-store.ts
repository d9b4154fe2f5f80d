import { sql, type Kysely } from 'kysely';
import type { HousekeepingStore } from '../domain/maintenance/housekeeping-store.ts';
import type { Database } from './schema.ts';
import { forgottenSql } from './throttle-store.ts';

/** The instance name on one line, as the mail templates put every value (issue 10 item 21): a stored CR/LF never forges a line. */
const singleLineName = sql`regexp_replace(i.name, ${'[\\x01-\\x1f\\x7f-\\x9f\\u2028\\u2029]+'}::text, ' ', 'g')`;

export function housekeepingStore(db: Kysely<Database>): HousekeepingStore {
  return {
    async remindPendingSetup(now, remindedBefore, limit, loginUrlPrefix) {
      // Built in SQL so a million reminders are one statement; only instance names and dates are
      // interpolated (no user input beyond the instance name, and mail text is not HTML-escaped).
      const { rows } = await sql<{ n: number }>`
        with due as (
          select u.instance_id, u.id, u.email, ${singleLineName} as instance_name, i.slug,
                 i.two_factor_enforce_setup and i.two_factor_enforce_from is not null as has_deadline,
                 to_char(i.two_factor_enforce_from at time zone 'UTC', 'YYYY-MM-DD') as deadline
          from users u join instances i on i.id = u.instance_id
          where u.status = 'active' and not u.totp_associated and (u.two_factor_enabled or i.two_factor_auto_enable)
            and u.password_hash is not null and u.created_at < ${remindedBefore}
            and (u.setup_reminded_at is null or u.setup_reminded_at < ${remindedBefore})
          limit ${limit}
          for update of u skip locked
        ), marked as (
          update users u set setup_reminded_at = ${now} from due where u.instance_id = due.instance_id and u.id = due.id
        ), mailed as (
          insert into outbox (instance_id, recipient, subject, text_body, html_body, sealed, next_attempt_at, created_at)
          select instance_id, email,
                 'Set up two-factor authentication for ' || instance_name,
                 'Hello,' || chr(10) || chr(10) || 'Two-factor authentication is turned on for your ' || instance_name ||
                 ' account, but no authenticator app is set up yet.' ||
                 case when has_deadline then ' From ' || deadline || ' you will not be able to log in without it.' else '' end ||
                 chr(10) || 'Log in and follow the steps: ' || ${loginUrlPrefix}::text || slug,
                 '<p>Two-factor authentication is turned on for your account, but no authenticator app is set up yet.</p>' ||
                 '<p><a href="' || ${loginUrlPrefix}::text || slug || '">Log in and set it up</a></p>',
                 false, ${now}::timestamptz, ${now}::timestamptz
          from due
        )
        select count(*)::int as n from due`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },
    async warnExpiringPasswords(now, limit, loginUrlPrefix) {
      const { rows } = await sql<{ n: number }>`
        with due as (
          select u.instance_id, u.id, u.email, ${singleLineName} as instance_name, i.slug,
                 to_char((u.password_changed_at + make_interval(days => i.password_max_age_days)) at time zone 'UTC', 'YYYY-MM-DD') as expires
          from users u join instances i on i.id = u.instance_id
          where u.status = 'active' and i.password_max_age_days is not null and i.password_warn_days is not null
            and u.password_changed_at is not null
            and u.password_changed_at + make_interval(days => i.password_max_age_days - i.password_warn_days) <= ${now}
            and u.password_changed_at + make_interval(days => i.password_max_age_days) > ${now}
            and (u.password_warned_at is null or u.password_warned_at < u.password_changed_at)
          limit ${limit}
          for update of u skip locked
        ), marked as (
          update users u set password_warned_at = ${now} from due where u.instance_id = due.instance_id and u.id = due.id
        ), mailed as (
          insert into outbox (instance_id, recipient, subject, text_body, html_body, sealed, next_attempt_at, created_at)
          select instance_id, email, 'Your ' || instance_name || ' password expires on ' || expires,
                 'Hello,' || chr(10) || chr(10) || 'Your ' || instance_name || ' password expires on ' || expires ||
                 '. Your organisation asks you to change it before then; after that date you will have to change it when you log in.' ||
                 chr(10) || 'Log in and open My Profile: ' || ${loginUrlPrefix}::text || slug,
                 '<p>Your password expires on ' || expires || '.</p><p><a href="' || ${loginUrlPrefix}::text || slug || '">Log in and change it</a></p>',
                 false, ${now}::timestamptz, ${now}::timestamptz
          from due
        )
        select count(*)::int as n from due`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },
    async snapshotAdoption(day) {
      await sql`
        insert into two_factor_adoption (instance_id, day, active, pending, off)
        select i.id, ${day}::date,
               coalesce(sum(c.n) filter (where c.associated), 0),
               coalesce(sum(c.n) filter (where not c.associated and (c.enabled or i.two_factor_auto_enable)), 0),
               coalesce(sum(c.n) filter (where not c.associated and not c.enabled and not i.two_factor_auto_enable), 0)
        from instances i left join user_counts c on c.instance_id = i.id
        group by i.id, i.two_factor_auto_enable
        on conflict (instance_id, day) do update set active = excluded.active, pending = excluded.pending, off = excluded.off`.execute(db);
    },
    async deleteExpired(now, sentMailBefore) {
      const { rows } = await sql<{ sessions: number; locations: number; tokens: number; mail: number; throttles: number }>`
        with s as (delete from sessions where expires_at <= ${now} returning 1),
             os as (delete from operator_sessions where expires_at <= ${now} returning 1),
             k as (delete from known_locations where expires_at <= ${now} returning 1),
             t as (delete from setup_tokens where expires_at <= ${now} or used_at is not null returning 1),
             m as (delete from outbox where status = 'sent' and sent_at < ${sentMailBefore} returning 1),
             th as (delete from throttles where ${forgottenSql(sql.ref('last_failure_at'), sql.ref('decay_seconds'), sql`${now}::timestamptz`)} returning 1)
        select ((select count(*) from s) + (select count(*) from os))::int as sessions, (select count(*) from k)::int as locations,
               (select count(*) from t)::int as tokens, (select count(*) from m)::int as mail,
               (select count(*) from th)::int as throttles`.execute(db);
      const row = rows[0]!;
      return { sessions: row.sessions, knownLocations: row.locations, setupTokens: row.tokens, sentMail: row.mail, throttles: row.throttles };
    },
  };
}
