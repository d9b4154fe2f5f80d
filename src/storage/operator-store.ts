import type { Kysely } from 'kysely';
import type { OperatorStore } from '../domain/support/operator-store.ts';
import { emailKey } from '../domain/account/user.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';

export function operatorStore(db: Kysely<Database>): OperatorStore {
  const toOperator = (row: { id: string; email: string; name: string; created_at: Date }) => ({
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: row.created_at,
  });
  return {
    async insert(operator) {
      const row = await conflictOnDuplicate(
        () =>
          db
            .insertInto('operators')
            .values({ id: operator.id, email: operator.email, email_key: emailKey(operator.email), name: operator.name, password_hash: operator.passwordHash })
            .returning(['id', 'email', 'name', 'created_at'])
            .executeTakeFirstOrThrow(),
        'email',
        `An operator with the email ${operator.email} already exists.`,
      );
      return toOperator(row);
    },
    async findByEmail(email) {
      const row = await db
        .selectFrom('operators')
        .select(['id', 'email', 'name', 'created_at'])
        .where('email_key', '=', emailKey(email))
        .executeTakeFirst();
      return row ? toOperator(row) : null;
    },
  };
}
