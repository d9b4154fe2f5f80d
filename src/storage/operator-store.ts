import type { Kysely, Selectable } from 'kysely';
import type { Operator, OperatorStore } from '../domain/support/operator-store.ts';
import { emailKey } from '../domain/account/user.ts';
import type { Database, OperatorsTable } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';

const toOperator = (row: Pick<Selectable<OperatorsTable>, 'id' | 'email' | 'name' | 'created_at'>): Operator => ({
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
      // Why a transaction with the operator row locked first: a login step by code takes that row
      // first too (operatorSessionWrites consumeStep), so a login that got it before the reset has
      // committed its session when the statement below takes its snapshot, and the reset ends it;
      // one that comes after finds its session ended and the app gone (SES-07).
      const reset = async (tx: Kysely<Database>) => {
        await tx.selectFrom('operators').select('id').where('email_key', '=', emailKey(email)).forNoKeyUpdate().execute();
        return tx
          .with('reset', (qb) =>
            qb
              .updateTable('operators')
              .set({ totp_secret_sealed: null, totp_last_used_step: null, totp_confirmed_at: null })
              .where('email_key', '=', emailKey(email))
              .returning(['id', 'email', 'name', 'created_at']),
          )
          .with('ended', (qb) =>
            qb.deleteFrom('operator_sessions').where('operator_id', '=', (eb) => eb.selectFrom('reset').select('reset.id')),
          )
          .selectFrom('reset')
          .selectAll()
          .executeTakeFirst();
      };
      const row = await (db.isTransaction ? reset(db) : db.transaction().execute(reset));
      return row ? toOperator(row) : null;
    },
    async list() {
      const rows = await db
        .selectFrom('operators')
        .select(['id', 'email', 'name', 'created_at', 'disabled_at'])
        .select((eb) => eb('totp_secret_sealed', 'is not', null).as('associated'))
        .orderBy('email_key')
        .execute();
      return rows.map((row) => ({ ...toOperator(row), associated: Boolean(row.associated), disabledAt: row.disabled_at }));
    },
    async disable(email, now) {
      // Why the row lock first: as resetTotp, so a login step that holds it has committed its
      // session before the deletion below takes its snapshot (SES-07).
      const disable = async (tx: Kysely<Database>) => {
        const locked = await tx
          .selectFrom('operators')
          .select(['id', 'email', 'name', 'created_at', 'disabled_at'])
          .where('email_key', '=', emailKey(email))
          .forNoKeyUpdate()
          .executeTakeFirst();
        if (!locked) return null;
        const disabledAt = locked.disabled_at ?? now;
        await tx.updateTable('operators').set({ disabled_at: disabledAt }).where('id', '=', locked.id).execute();
        await tx.deleteFrom('operator_sessions').where('operator_id', '=', locked.id).execute();
        await tx.deleteFrom('operator_devices').where('operator_id', '=', locked.id).execute();
        return { ...toOperator(locked), disabledAt: new Date(disabledAt) };
      };
      return db.isTransaction ? disable(db) : db.transaction().execute(disable);
    },
  };
}
