import type { Kysely } from 'kysely';
import type { NewUser, UserStore } from '../domain/account/user-store.ts';
import { emailKey } from '../domain/account/user.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';
import { toUser, userColumns } from './rows.ts';

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
    async findByEmail(email) {
      const row = await users().where('users.email_key', '=', emailKey(email)).executeTakeFirst();
      return row ? toUser(row) : null;
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
      const rows = await db
        .insertInto('users')
        .values(list.map(toRow))
        .onConflict((oc) => oc.columns(['instance_id', 'email_key']).doNothing())
        .returning('email')
        .execute();
      return rows.map((row) => row.email);
    },
  };
}
