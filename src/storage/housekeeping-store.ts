import { sql, type Kysely } from 'kysely';
import type { HousekeepingStore, TableUpkeep } from '../domain/maintenance/housekeeping-store.ts';
import type { Database } from './schema.ts';
import type { Engine } from './connect.ts';
import { forgottenSql } from './throttle-store.ts';
import { expiredOidcStateSql } from './oidc-state-store.ts';
import { lookupTimes } from '../domain/auth/session-rules.ts';
import { USER_PROFILE } from '../domain/auth/profile.ts';
import type { MailMessage } from '../domain/mail/mail.ts';
import { passwordExpiresAtSql, passwordWarningFromSql, twoFactorStatusSql } from './policy-sql.ts';

/** A picked user and the mail rendered for them. */
interface Queued {
  instance_id: string;
  id: string;
  mail: MailMessage;
}

/**
 * The second statement of a reminder run, inside its transaction: queues each picked user's
 * rendered mail (unsealed: reminders carry no secret) and sets `marker` on them, for all at once.
 */
async function queueAndMark(
  db: Kysely<Database>,
  queued: Queued[],
  marker: 'setup_reminded_at' | 'password_warned_at',
  now: Date,
): Promise<void> {
  const rows = JSON.stringify(
    queued.map((q) => ({
      instance_id: q.instance_id,
      id: q.id,
      recipient: q.mail.to,
      subject: q.mail.subject,
      text_body: q.mail.text,
      html_body: q.mail.html,
    })),
  );
  await sql`
    with due as (
      select * from json_to_recordset(${rows}::json) as d (instance_id text, id text, recipient text, subject text, text_body text, html_body text)
    ), marked as (
      update users u set ${sql.ref(marker)} = ${now} from due where u.instance_id = due.instance_id and u.id = due.id
    )
    insert into outbox (instance_id, recipient, subject, text_body, html_body, sealed, next_attempt_at, created_at)
    select instance_id, recipient, subject, text_body, html_body, false, ${now}::timestamptz, ${now}::timestamptz from due`.execute(db);
}

/**
 * One reminder run: `pick` selects the due users `for update skip locked`, the domain renders each
 * mail with its template, and queueAndMark writes them, in one transaction: a concurrent run skips
 * the rows this one holds, and a user is marked in the same commit as their mail, so once per user.
 */
async function remind<Row extends { instance_id: string; id: string }>(
  db: Kysely<Database>,
  pick: (tx: Kysely<Database>) => Promise<Row[]>,
  render: (row: Row) => MailMessage,
  marker: 'setup_reminded_at' | 'password_warned_at',
  now: Date,
): Promise<number> {
  const run = async (tx: Kysely<Database>) => {
    const due = await pick(tx);
    if (due.length > 0)
      await queueAndMark(
        tx,
        due.map((row) => ({ instance_id: row.instance_id, id: row.id, mail: render(row) })),
        marker,
        now,
      );
    return due.length;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * Autovacuum's default thresholds (PostgreSQL 18 docs, "The Autovacuum Daemon", and the
 * autovacuum_* settings of "Automatic Vacuuming"), with `reltuples` pg_class's estimate (0 before
 * the first vacuum or analyze, as autovacuum takes it). Each column is one of autovacuum's
 * reasons: dead rows (vacuum_threshold 50 + scale_factor 0.2, at most max_threshold 100,000,000),
 * rows inserted since the last vacuum on the pages not yet all frozen (insert_threshold 1000 +
 * insert_scale_factor 0.2), transaction and multixact ids near wraparound (freeze_max_age
 * 200,000,000, multixact_freeze_max_age 400,000,000: a table that never churns is vacuumed for
 * these alone, else the engine stops assigning ids in the end); and rows changed since the last
 * analyze (analyze_threshold 50 + scale_factor 0.1).
 *
 * And once after the engine started (vacuum_count, analyze_count 0): PGlite keeps no statistics
 * across a restart (pg_stat_user_tables read 0 dead rows after close and open of a data dir that
 * had 400, 3 December 2026), so the rows changed before it would otherwise never count, and a
 * server restarted more often than a table churns past its threshold would never see it vacuumed.
 */
const dueTablesSql = sql<{ table: string; vacuum: boolean; analyze: boolean }>`
  with t as (
    select s.relname, s.vacuum_count, s.analyze_count, s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze, c.relfrozenxid, c.relminmxid,
           greatest(c.reltuples, 0)::float8 as reltuples,
           case when c.reltuples > 0 and c.relpages > 0 then 1 - least(c.relallfrozen, c.relpages)::float8 / c.relpages else 1 end as unfrozen
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and c.relkind = 'r'
  )
  select relname as table,
         (vacuum_count = 0
           or n_dead_tup > least(100000000, 50 + 0.2 * reltuples)
           or n_ins_since_vacuum > 1000 + 0.2 * reltuples * unfrozen
           or age(relfrozenxid) > 200000000
           or mxid_age(relminmxid) > 400000000) as vacuum,
         (analyze_count = 0 or n_mod_since_analyze > 50 + 0.1 * reltuples) as analyze
  from t
  order by relname`;

/**
 * The embedded engine's autovacuum (upkeepTables). Why: PGlite runs PostgreSQL as one standalone
 * backend, with no autovacuum launcher (`show autovacuum` says on, and nothing ever runs), so
 * without this its tables never lose their dead rows (sessions are deleted and inserted at each
 * login step, throttles, the outbox and oidc_state churn: the files grow without bound) and never
 * get statistics. The second is worse than it sounds: a plan the backend caches is kept until the
 * statistics change, and the foreign-key check of every session insert (`select 1 from users
 * where instance_id = $1 and id = $2 for key share`), its generic plan made (at its sixth run) while
 * users was all but empty, took the Users list index and read every user of the instance per
 * login (as in issue 16's import; housekeeping-store.contract.test.ts, which fails without this).
 * An ANALYZE that changes the table's statistics makes every such plan be made again.
 * Why table by table, only those past a threshold: the one connection is held for each
 * statement, and every request waits meanwhile (docs/operations.md has the durations measured).
 */
async function upkeepEmbeddedTables(db: Kysely<Database>): Promise<TableUpkeep> {
  if (db.isTransaction) throw new Error('upkeepTables runs outside a transaction (VACUUM cannot run inside one)');
  const started = performance.now();
  // The backend's own counts of the last statements reach pg_stat_user_tables at its next flush:
  // forced here so that what this run reads is up to date.
  await sql`select pg_stat_force_next_flush()`.execute(db);
  const { rows } = await dueTablesSql.execute(db);
  const upkeep: TableUpkeep = { vacuumed: [], analyzed: [], ms: 0 };
  for (const { table, vacuum, analyze } of rows) {
    if (vacuum && analyze) await sql`vacuum (analyze) ${sql.table(table)}`.execute(db);
    else if (vacuum) await sql`vacuum ${sql.table(table)}`.execute(db);
    else if (analyze) await sql`analyze ${sql.table(table)}`.execute(db);
    if (vacuum) upkeep.vacuumed.push(table);
    if (analyze) upkeep.analyzed.push(table);
  }
  upkeep.ms = Math.round(performance.now() - started);
  return upkeep;
}

export function housekeepingStore(db: Kysely<Database>, engine: Engine): HousekeepingStore {
  return {
    async upkeepTables() {
      // Why nothing on PostgreSQL: its autovacuum does this, with the server's settings and per
      // table storage parameters, in its own workers that hold no pooled connection; keyward relies
      // on it there (docs/operations.md, turning it off is the operator's risk).
      return engine === 'pglite' ? upkeepEmbeddedTables(db) : { vacuumed: [], analyzed: [], ms: 0 };
    },
    async refreshUserStatistics() {
      // ANALYZE, not VACUUM: it runs inside a transaction too, and reads a sample (30,000 rows at
      // most), so its cost stays bounded however large the table is (PostgreSQL docs, "ANALYZE").
      await sql`analyze users, account_tokens, outbox`.execute(db);
    },
    async claimRun(now, ranBefore) {
      // Why one conditional upsert, not an advisory lock: two processes claiming at once meet on
      // the one row's lock; the second then sees the first's new last_run_at and its WHERE fails,
      // so it gets no row back. One statement, nothing held between statements: the same through
      // PgBouncer's transaction pooling, on PostgreSQL and PGlite.
      const { rows } = await sql<{ runs: number }>`
        insert into housekeeping_runs (id, last_run_at, runs) values (1, ${now}, 1)
        on conflict (id) do update set last_run_at = excluded.last_run_at, runs = housekeeping_runs.runs + 1
        where housekeeping_runs.last_run_at <= ${ranBefore}
        returning runs`.execute(db);
      return rows.length > 0;
    },
    async countTwoFactorAdoption(instanceLimit) {
      const status = twoFactorStatusSql(sql.ref('c.enabled'), sql.ref('c.associated'), sql.ref('i.two_factor_auto_enable'));
      const { rows } = await sql<{ slug: string; with_two_factor: number; total: number }>`
        select i.slug, coalesce(sum(c.n) filter (where ${status} = 'active'), 0)::int as with_two_factor, coalesce(sum(c.n), 0)::int as total
        from instances i left join user_counts c on c.instance_id = i.id
        group by i.id, i.slug, i.two_factor_auto_enable`.execute(db);
      const instances = rows
        .map((row) => ({ slug: row.slug, withTwoFactor: row.with_two_factor, total: row.total }))
        .sort((a, b) => b.total - a.total || a.slug.localeCompare(b.slug));
      return {
        withTwoFactor: instances.reduce((sum, row) => sum + row.withTwoFactor, 0),
        total: instances.reduce((sum, row) => sum + row.total, 0),
        instances: instances.slice(0, instanceLimit),
      };
    },
    async remindPendingSetup(now, remindedBefore, limit, render) {
      const status = twoFactorStatusSql(sql.ref('u.two_factor_enabled'), sql.ref('u.totp_associated'), sql.ref('i.two_factor_auto_enable'));
      const pick = async (tx: Kysely<Database>) =>
        (
          await sql<{ instance_id: string; id: string; email: string; instance_name: string; slug: string; deadline: Date | null }>`
            select u.instance_id, u.id, u.email, i.name as instance_name, i.slug,
                   case when i.two_factor_enforce_setup then i.two_factor_enforce_from end as deadline
            from users u join instances i on i.id = u.instance_id
            where u.status = 'active' and ${status} = 'pending'
              and u.password_hash is not null and u.created_at < ${remindedBefore}
              and (u.setup_reminded_at is null or u.setup_reminded_at < ${remindedBefore})
            limit ${limit}
            for update of u skip locked`.execute(tx)
        ).rows;
      return remind(
        db,
        pick,
        (row) =>
          render({
            to: row.email,
            instanceName: row.instance_name,
            instanceSlug: row.slug,
            deadline: row.deadline && new Date(row.deadline),
          }),
        'setup_reminded_at',
        now,
      );
    },
    async warnExpiringPasswords(now, limit, render) {
      const [changed, maxAge, warn] = [
        sql.ref<Date>('u.password_changed_at'),
        sql.ref<number>('i.password_max_age_days'),
        sql.ref<number>('i.password_warn_days'),
      ];
      const pick = async (tx: Kysely<Database>) =>
        (
          await sql<{ instance_id: string; id: string; email: string; instance_name: string; slug: string; expires_at: Date }>`
            select u.instance_id, u.id, u.email, i.name as instance_name, i.slug, ${passwordExpiresAtSql(changed, maxAge)} as expires_at
            from users u join instances i on i.id = u.instance_id
            where u.status = 'active'
              and ${passwordWarningFromSql(changed, maxAge, warn)} <= ${now}
              and ${passwordExpiresAtSql(changed, maxAge)} > ${now}
              and (u.password_warned_at is null or u.password_warned_at < u.password_changed_at)
            limit ${limit}
            for update of u skip locked`.execute(tx)
        ).rows;
      return remind(
        db,
        pick,
        (row) => render({ to: row.email, instanceName: row.instance_name, instanceSlug: row.slug, expiresAt: new Date(row.expires_at) }),
        'password_warned_at',
        now,
      );
    },
    async snapshotAdoption(day) {
      // The effective status of each stored pair (effectiveTwoFactorStatus, in SQL) under the instance's auto-enable.
      const status = twoFactorStatusSql(sql.ref('c.enabled'), sql.ref('c.associated'), sql.ref('i.two_factor_auto_enable'));
      await sql`
        insert into two_factor_adoption (instance_id, day, active, pending, off)
        select i.id, ${day}::date,
               coalesce(sum(c.n) filter (where ${status} = 'active'), 0),
               coalesce(sum(c.n) filter (where ${status} = 'pending'), 0),
               coalesce(sum(c.n) filter (where ${status} = 'off'), 0)
        from instances i left join user_counts c on c.instance_id = i.id
        group by i.id, i.two_factor_auto_enable
        on conflict (instance_id, day) do update set active = excluded.active, pending = excluded.pending, off = excluded.off`.execute(db);
    },
    async pruneAuditEvents(before, batchSize, maxBatches) {
      let deleted = 0;
      let batches = 0;
      let last = 0;
      while (batches < maxBatches) {
        last = await db.transaction().execute(async (tx) => {
          // The one deliberate way past the append-only trigger (migration 0031), for this
          // transaction only; SET LOCAL ends with it, also behind PgBouncer's transaction pooling.
          await sql`set local keyward.audit_prune = 'on'`.execute(tx);
          // The oldest events first, found on audit_events_at and deleted by primary key: each
          // batch reads only the rows it deletes, never the table. Why `= any(array(…))` and not
          // `in (select …)`: PostgreSQL plans the IN as a hash semi-join over a sequential scan of
          // the whole table (EXPLAIN on a million events); the array is one value, matched on the key.
          const { rows } = await sql<{ n: number }>`
            with d as (
              delete from audit_events
              where id = any(array(select id from audit_events where at < ${before} order by at limit ${batchSize}))
              returning 1
            )
            select count(*)::int as n from d`.execute(tx);
          return rows[0]!.n;
        });
        batches += 1;
        deleted += last;
        if (last < batchSize) break;
      }
      return { before, deleted, batches, more: last === batchSize };
    },
    async deleteExpired(now, sentMailBefore) {
      // Why idle sessions too (no request could use them any more, SES-05): deleting one ends what
      // the provider made from it and queues its back-channel logout tokens (migration 0021's
      // trigger), so relying parties hear of an idle expiry within a housekeeping run. Delivered
      // logout tokens are kept as long as sent mail (they make "once" hold), then go.
      const { idleCutoff } = lookupTimes(USER_PROFILE, now);
      const { rows } = await sql<{ sessions: number; locations: number; tokens: number; mail: number; throttles: number; oidc: number }>`
        with s as (delete from sessions where expires_at <= ${now} or last_seen_at <= ${idleCutoff} returning 1),
             os as (delete from operator_sessions where expires_at <= ${now} returning 1),
             k as (delete from known_locations where expires_at <= ${now} returning 1),
             t as (delete from setup_tokens where expires_at <= ${now} or used_at is not null returning 1),
             m as (delete from outbox where status = 'sent' and sent_at < ${sentMailBefore} returning 1),
             th as (delete from throttles where ${forgottenSql(sql.ref('last_failure_at'), sql.ref('decay_seconds'), sql`${now}::timestamptz`)} returning 1),
             o as (${expiredOidcStateSql(now)}),
             bl as (delete from oidc_logout_deliveries where delivered_at < ${sentMailBefore} or (dead and created_at < ${sentMailBefore}))
        select ((select count(*) from s) + (select count(*) from os))::int as sessions, (select count(*) from k)::int as locations,
               (select count(*) from t)::int as tokens, (select count(*) from m)::int as mail,
               (select count(*) from th)::int as throttles, (select count(*) from o)::int as oidc`.execute(db);
      const row = rows[0]!;
      return {
        sessions: row.sessions,
        knownLocations: row.locations,
        setupTokens: row.tokens,
        sentMail: row.mail,
        throttles: row.throttles,
        oidcState: row.oidc,
      };
    },
  };
}
