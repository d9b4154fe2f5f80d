import { sql, type Kysely } from 'kysely';

/** The counting of migration 0005, unchanged: one less on the old pair, one more on the new one. */
const COUNT = sql`
      if tg_op in ('UPDATE', 'DELETE') then
        update user_counts set n = n - 1
        where instance_id = old.instance_id and enabled = old.two_factor_enabled and associated = old.totp_associated;
      end if;
      if tg_op in ('UPDATE', 'INSERT') then
        insert into user_counts (instance_id, enabled, associated, n) values (new.instance_id, new.two_factor_enabled, new.totp_associated, 1)
        on conflict (instance_id, enabled, associated) do update set n = user_counts.n + 1;
      end if;
      return null;`;

/**
 * The Users-list counters (user_counts, migration 0005) without deadlocks (issue 11). A change of
 * a user's 2FA pair takes two counter rows, the old pair's and then the new one's, so two users of
 * one instance moving in opposite directions at once (one turns 2FA on, the other off; an
 * enrolment while an administrator resets someone) took the same two rows in opposite orders,
 * and PostgreSQL aborted one of them (40P01 deadlock detected: 4 of 5 runs of the contract
 * suite's "turn 2FA on and off at once" test before, 0 of 10 after).
 *
 * Why one lock per instance first, taken by every counter change (PostgreSQL manual 13.3.4:
 * take locks in a consistent order): ordering the two rows would do for one statement, but not for
 * a transaction whose statements move users one way and then another (an enrolment goes off →
 * pending → active). A transaction-scoped advisory lock on the instance's counters is taken before
 * any of its rows, held until commit, and re-entrant within the transaction, so counter rows are
 * only ever waited for by its holder. Changes of an instance's counters already queued on its
 * hottest row; they now queue on this lock instead, and other instances are not affected.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function keyward_user_counts() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(hashtext('keyward.user_counts'), hashtext(case when tg_op = 'DELETE' then old.instance_id else new.instance_id end));
      ${COUNT}
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function keyward_user_counts() returns trigger language plpgsql as $$
    begin
      ${COUNT}
    end $$`.execute(db);
}
