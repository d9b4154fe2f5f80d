import { sql, type Kysely } from 'kysely';
import type { NewUser, UserStore } from '../domain/account/user-store.ts';
import { emailKey } from '../domain/account/user.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate, isUniqueViolation } from './errors.ts';
import { DomainError } from '../domain/shared/errors.ts';
import { prefixedInstanceColumns, toPrefixedInstance, toUser, userColumns, wellFormed, type UserColumns } from './rows.ts';

/** Users of one instance: every query carries `instance_id = instanceId`. */
export function userStore(db: Kysely<Database>, instanceId: string): UserStore {
  const users = () => db.selectFrom('users').select(userColumns).where('users.instance_id', '=', instanceId);
  const toRow = (user: NewUser) => ({
    id: user.id,
    instance_id: instanceId,
    email: user.email,
    email_key: emailKey(user.email),
    name: user.name,
    role: user.role,
    status: 'active' as const,
    password_hash: user.passwordHash,
    password_changed_at: user.passwordChangedAt,
  });
  return {
    async lockActiveAdmins() {
      // Why the rows and a row lock: PostgreSQL re-checks a locked row's WHERE after waiting for
      // a concurrent change, so an admin demoted or disabled meanwhile is not returned; the
      // id order means two such transactions queue instead of deadlocking. FOR NO KEY UPDATE, as
      // lockById: an admin's 2FA reset holds these rows while it removes the target's app, and a
      // login of that admin holding the app's row waits only for FOR UPDATE (its session's
      // foreign key check takes FOR KEY SHARE), so FOR UPDATE could deadlock the two.
      const rows = await db
        .selectFrom('users')
        .select('id')
        .where('instance_id', '=', instanceId)
        .where('role', '=', 'admin')
        .where('status', '=', 'active')
        .orderBy('id')
        .forNoKeyUpdate()
        .execute();
      return rows.map((row) => row.id);
    },
    async countPostponement(id, limit) {
      const result = await db
        .updateTable('users')
        .set({ setup_postponements: sql`setup_postponements + 1` })
        .where('instance_id', '=', instanceId)
        .where('id', '=', id)
        .where((eb) => (limit === null ? eb.lit(true) : eb('setup_postponements', '<', limit)))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async listAdmins(limit) {
      const rows = await users().where('role', '=', 'admin').where('status', '=', 'active').orderBy('email_key').limit(limit).execute();
      return rows.map(toUser);
    },
    async findAccount(id) {
      const { rows } = await sql<
        UserColumns &
          Record<string, unknown> & { t_secret_sealed: string | null; t_last_used_step: number | null; b_code_mac: string | null }
      >`
        select u.id, u.instance_id, u.email, u.name, u.role, u.status, u.two_factor_enabled, u.password_changed_at, u.created_at,
               u.setup_postponements, ${prefixedInstanceColumns},
               t.secret_sealed as t_secret_sealed, t.last_used_step as t_last_used_step, b.code_mac as b_code_mac
        from users u join instances i on i.id = u.instance_id
        left join totp_credentials t on t.instance_id = u.instance_id and t.user_id = u.id
        left join backup_codes b on b.instance_id = u.instance_id and b.user_id = u.id
        where u.instance_id = ${instanceId} and u.id = ${id}`.execute(db);
      const row = rows[0];
      if (!row) return null;
      return {
        user: toUser(row),
        instance: toPrefixedInstance(row.instance_id, row),
        totp: row.t_secret_sealed !== null ? { secretSealed: row.t_secret_sealed, lastUsedStep: Number(row.t_last_used_step) } : null,
        backupCodeMac: row.b_code_mac,
      };
    },
    async update(id, change) {
      const email = change.email ?? null;
      const run = () =>
        sql<UserColumns & { invited: boolean }>`
        with changed as (
          update users set role = coalesce(${change.role ?? null}::text, role), status = coalesce(${change.status ?? null}::text, status),
            name = coalesce(${change.name ?? null}::text, name), email = coalesce(${email}::text, email),
            email_key = coalesce(${email === null ? null : emailKey(email)}::text, email_key)
          where instance_id = ${instanceId} and id = ${id}
          returning id, instance_id, email, name, role, status, two_factor_enabled, password_changed_at, created_at, setup_postponements,
            password_hash is null as invited
        ), ended as (
          delete from sessions where instance_id = ${instanceId} and user_id = ${id} and ${change.status === 'disabled' ? sql`exists (select 1 from changed)` : sql`false`}
        )
        select * from changed`.execute(db);
      let rows: Array<UserColumns & { invited: boolean }>;
      try {
        ({ rows } = await run());
      } catch (error) {
        // The email is the login name, unique per instance in any case (users_instance_email_key).
        if (isUniqueViolation(error))
          throw new DomainError('email_taken', 'Another user of this instance already has this email.', { field: 'email' });
        throw error;
      }
      return rows[0] ? { ...toUser(rows[0]), invited: Boolean(rows[0].invited) } : null;
    },
    async delete(id) {
      // The sessions first, in their own statement: their delete trigger (migrations 0020, 0021)
      // ends the OIDC state made from them and queues back-channel logouts, as every other path
      // that ends sessions does; the user's tokens, app, codes and locations go by cascade.
      await db.deleteFrom('sessions').where('instance_id', '=', instanceId).where('user_id', '=', id).execute();
      const result = await db.deleteFrom('users').where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async findByEmail(email) {
      const row = await users().where('users.email_key', '=', emailKey(email)).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async lockById(id) {
      // Why FOR NO KEY UPDATE and not FOR UPDATE: it still queues every other lockById, the
      // enrolment's and lockActiveAdmins' row locks and any UPDATE of the row, but not the
      // FOR KEY SHARE that a foreign key check takes. A login step that inserts a session of this
      // user while holding its totp_credentials row would otherwise wait for this lock while the
      // reset waits for that row: a deadlock (PostgreSQL docs, "Row-Level Locks").
      const row = await users().where('users.id', '=', id).forNoKeyUpdate().executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async hasPassword(id) {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb('password_hash', 'is not', null).as('set'))
        .where('instance_id', '=', instanceId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? Boolean(row.set) : null;
    },
    async findById(id) {
      const row = await users().where('users.id', '=', id).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async insert(user) {
      const row = await conflictOnDuplicate(
        () => db.insertInto('users').values(toRow(user)).returning(userColumns).executeTakeFirstOrThrow(),
        'email',
        `A user with the email ${user.email} already exists in this instance.`,
      );
      return toUser(row);
    },
    async findExistingEmails(emails) {
      if (emails.length === 0) return [];
      const rows = await users().where('users.email_key', 'in', emails.map(emailKey)).execute();
      return rows.map((row) => row.email);
    },
    async insertMissing(list) {
      if (list.length === 0) return [];
      // Why the rows as one JSON parameter (json_to_recordset) and not a VALUES list: an import's
      // batch of 500 users was 4,500 parameters, built and compiled by Kysely and encoded by the
      // driver each time (a third of the import's own CPU by perf, issue 16), and a statement
      // PostgreSQL parsed and planned again per batch; this text never changes, so it is
      // prepared once per connection, and JSON.stringify is native.
      const rows = JSON.stringify(
        list.map((user) => ({
          id: user.id,
          email: wellFormed(user.email),
          email_key: wellFormed(emailKey(user.email)),
          name: wellFormed(user.name),
          role: user.role,
          password_hash: user.passwordHash,
          password_changed_at: user.passwordChangedAt,
        })),
      );
      const { rows: inserted } = await sql<{ email: string }>`
        insert into users (id, instance_id, email, email_key, name, role, status, password_hash, password_changed_at)
        select r.id, ${instanceId}::text, r.email, r.email_key, r.name, r.role, 'active', r.password_hash, r.password_changed_at
        from json_to_recordset(${rows}::json) as r (id text, email text, email_key text, name text, role text, password_hash text, password_changed_at timestamptz)
        on conflict (instance_id, email_key) do nothing
        returning email`.execute(db);
      return inserted.map((row) => row.email);
    },
  };
}
