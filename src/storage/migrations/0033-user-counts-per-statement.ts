import { sql, type Kysely } from 'kysely';

/**
 * Issue 16: the Users-list counters (user_counts, migrations 0005 and 0015) move once per
 * statement that adds or removes users, not once per user. Before, `keyward user import` wrote a
 * batch of 500 users with one INSERT and the row trigger then ran 500 times: 500 advisory locks
 * and 500 `insert … on conflict do update` of the same counter row, each after the last one's
 * new version (20 µs per user of the database's time, a tenth of an imported user's cost).
 *
 * Now the INSERT and DELETE triggers are statement triggers with a transition table (PostgreSQL
 * manual, CREATE TRIGGER, REFERENCING): each statement's rows, counted by (instance, enabled,
 * associated), in one statement. The locking of migration 0015 stays: each instance's advisory
 * lock is taken before any of its counter rows, in instance order when a statement touches
 * several (a consistent order, manual 13.3.4). The UPDATE trigger stays a row trigger: a
 * transition table cannot go with its column list (`after update of …`), and a change of 2FA is
 * one user at a time. A DELETE that cascades from an instance fires the statement trigger too.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function keyward_user_counts_added() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(hashtext('keyward.user_counts'), hashtext(instance_id))
        from (select distinct instance_id from added order by instance_id) as instances;
      insert into user_counts (instance_id, enabled, associated, n)
        select instance_id, two_factor_enabled, totp_associated, count(*) from added group by 1, 2, 3 order by 1, 2, 3
        on conflict (instance_id, enabled, associated) do update set n = user_counts.n + excluded.n;
      return null;
    end $$`.execute(db);
  await sql`
    create function keyward_user_counts_removed() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(hashtext('keyward.user_counts'), hashtext(instance_id))
        from (select distinct instance_id from removed order by instance_id) as instances;
      update user_counts c set n = c.n - r.n
        from (select instance_id, two_factor_enabled, totp_associated, count(*) as n from removed group by 1, 2, 3) as r
        where c.instance_id = r.instance_id and c.enabled = r.two_factor_enabled and c.associated = r.totp_associated;
      return null;
    end $$`.execute(db);
  await sql`drop trigger users_counts_insert_delete on users`.execute(db);
  await sql`create trigger users_counts_insert after insert on users referencing new table as added
            for each statement execute function keyward_user_counts_added()`.execute(db);
  await sql`create trigger users_counts_delete after delete on users referencing old table as removed
            for each statement execute function keyward_user_counts_removed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger users_counts_insert on users`.execute(db);
  await sql`drop trigger users_counts_delete on users`.execute(db);
  await sql`drop function keyward_user_counts_added()`.execute(db);
  await sql`drop function keyward_user_counts_removed()`.execute(db);
  await sql`create trigger users_counts_insert_delete after insert or delete on users
            for each row execute function keyward_user_counts()`.execute(db);
}
