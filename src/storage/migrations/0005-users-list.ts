import { sql, type Kysely } from 'kysely';

/**
 * The Users list at a million users per instance (SPEC §5): keyset pages on indexes, filters by
 * 2FA status, and counts by status without counting rows.
 *
 * - users.totp_associated mirrors "an authenticator exists" so the status filter is an index
 *   range. Triggers on totp_credentials keep it true to the table it mirrors, so no code path
 *   can forget it.
 * - user_counts holds, per instance, how many users have each (enabled, associated) pair, kept
 *   by a trigger on users in the same transaction as the change; the effective counts by status
 *   are derived from it and the instance's auto-enable flag.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('totp_associated', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`update users u set totp_associated = exists (select 1 from totp_credentials t where t.instance_id = u.instance_id and t.user_id = u.id)`.execute(
    db,
  );
  await sql`
    create function keyward_totp_associated() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        update users set totp_associated = true where instance_id = new.instance_id and id = new.user_id;
        return new;
      end if;
      update users set totp_associated = false where instance_id = old.instance_id and id = old.user_id;
      return old;
    end $$`.execute(db);
  await sql`create trigger totp_credentials_associated after insert or delete on totp_credentials
            for each row execute function keyward_totp_associated()`.execute(db);

  await db.schema
    .createTable('user_counts')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('associated', 'boolean', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_counts_pk', ['instance_id', 'enabled', 'associated'])
    .execute();
  await sql`insert into user_counts (instance_id, enabled, associated, n)
            select instance_id, two_factor_enabled, totp_associated, count(*) from users group by 1, 2, 3`.execute(db);
  await sql`
    create function keyward_user_counts() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update user_counts set n = n - 1
        where instance_id = old.instance_id and enabled = old.two_factor_enabled and associated = old.totp_associated;
      end if;
      if tg_op in ('UPDATE', 'INSERT') then
        insert into user_counts (instance_id, enabled, associated, n) values (new.instance_id, new.two_factor_enabled, new.totp_associated, 1)
        on conflict (instance_id, enabled, associated) do update set n = user_counts.n + 1;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger users_counts_insert_delete after insert or delete on users
            for each row execute function keyward_user_counts()`.execute(db);
  await sql`create trigger users_counts_update after update of two_factor_enabled, totp_associated on users
            for each row when (old.two_factor_enabled is distinct from new.two_factor_enabled or old.totp_associated is distinct from new.totp_associated)
            execute function keyward_user_counts()`.execute(db);

  // Keyset pages in email order, optionally within one (associated, enabled) pair; prefix search
  // is a range on the same columns, so "C" ordering (byte order) keeps prefixes contiguous.
  await sql`create index users_list_email_idx on users (instance_id, email_key collate "C", id)`.execute(db);
  await sql`create index users_list_status_email_idx on users (instance_id, totp_associated, two_factor_enabled, email_key collate "C", id)`.execute(
    db,
  );
  await sql`create index users_list_name_idx on users (instance_id, (lower(name)) collate "C", id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['users_list_name_idx', 'users_list_status_email_idx', 'users_list_email_idx'])
    await sql`drop index if exists ${sql.raw(index)}`.execute(db);
  await sql`drop trigger if exists users_counts_update on users`.execute(db);
  await sql`drop trigger if exists users_counts_insert_delete on users`.execute(db);
  await sql`drop function if exists keyward_user_counts()`.execute(db);
  await db.schema.dropTable('user_counts').ifExists().execute();
  await sql`drop trigger if exists totp_credentials_associated on totp_credentials`.execute(db);
  await sql`drop function if exists keyward_totp_associated()`.execute(db);
  await db.schema.alterTable('users').dropColumn('totp_associated').execute();
}
