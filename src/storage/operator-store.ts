import { sql, type Kysely } from 'kysely';
import type { Operator, OperatorStore } from '../domain/support/operator-store.ts';
import { emailKey } from '../domain/account/user.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';

const toOperator = (row: { id: string; email: string; name: string; created_at: Date }): Operator => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: row.created_at,
});

/** Operators but their login lookup (auth-session-store.ts operatorCredentialLookup). */
export function operatorStore(db: Kysely<Database>): Omit<OperatorStore, 'findForLogin'> {
  return {
    async insert(operator) {
      const row = await conflictOnDuplicate(
        () =>
          db
            .insertInto('operators')
            .values({
              id: operator.id,
              email: operator.email,
              email_key: emailKey(operator.email),
              name: operator.name,
              password_hash: operator.passwordHash,
            })
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
    async resetTotp(email) {
      const { rows } = await sql<{ id: string; email: string; name: string; created_at: Date }>`
        with reset as (
          update operators set totp_secret_sealed = null, totp_last_used_step = null, totp_confirmed_at = null
          where email_key = ${emailKey(email)}
          returning id, email, name, created_at
        ), ended as (
          delete from operator_sessions where operator_id = (select id from reset)
        )
        select * from reset`.execute(db);
      return rows[0] ? toOperator(rows[0]) : null;
    },
  };
}
