import { sql, type Kysely } from 'kysely';
import type { NewOperatorSession, Operator, OperatorSessionStore, OperatorStore } from '../domain/support/operator-store.ts';
import { emailKey } from '../domain/account/user.ts';
import type { Database } from './schema.ts';
import { conflictOnDuplicate } from './errors.ts';
import { insertAudit } from './audit-store.ts';
import { throttleCleanup } from './throttle-store.ts';
import { stepIsNew } from './session-store.ts';

const toOperator = (row: { id: string; email: string; name: string; created_at: Date }): Operator => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: row.created_at,
});

function insertOperatorSession(next: NewOperatorSession, onlyIf?: string) {
  const values = sql`${next.id}, ${next.operatorId}, ${next.secretHash}, ${next.stage}, ${next.lastSeenAt}::timestamptz, ${next.lastSeenAt}::timestamptz,
                     ${next.expiresAt}::timestamptz, ${next.ip}::text, ${next.userAgent}::text, ${next.secondFactorAt}::timestamptz`;
  return sql`insert into operator_sessions (id, operator_id, secret_hash, stage, created_at, last_seen_at, expires_at, ip, user_agent, second_factor_at)
             ${onlyIf ? sql`select ${values} from ${sql.table(onlyIf)}` : sql`values (${values})`}`;
}

/** `insert into operator_devices …` for a CTE, only when the CTE `onlyIf` returned a row; none: a no-op. */
function insertOperatorDevice(
  operatorId: string,
  device: { id: string; secretHash: string; expiresAt: Date } | undefined,
  now: Date,
  onlyIf: string,
) {
  if (!device) return sql`select 1 where false`;
  return sql`insert into operator_devices (id, operator_id, secret_hash, created_at, expires_at)
             select ${device.id}, ${operatorId}, ${device.secretHash}, ${now}::timestamptz, ${device.expiresAt}::timestamptz from ${sql.table(onlyIf)}`;
}

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

/** The operator's login-step writes (auth-session-store.ts adds the lookup of the kernel's session port). */
export function operatorSessionWrites(db: Kysely<Database>): Pick<OperatorSessionStore, 'rotate' | 'consumeStep' | 'confirmEnrolment'> {
  return {
    async rotate(previous, next, { clearKeys, audit }) {
      await sql`
        with ended as (
          delete from operator_sessions where id = ${previous?.id ?? ''} and secret_hash = ${previous?.secretHash ?? ''}
        ), ${throttleCleanup(clearKeys)}, audited as (
          ${insertAudit(audit)}
        )
        ${insertOperatorSession(next)}`.execute(db);
    },
    async consumeStep(operatorId, step, swap, { clearKeys, audit, device, unlessHeld = [] }) {
      // The previous session is deleted first and the step used only if that delete found it:
      // two concurrent verifications of one login cannot both win (MFA-09), and a step is used once.
      const { rows } = await sql<{ n: number; d: number }>`
        with ended as (
          delete from operator_sessions where id = ${swap.previousId} and operator_id = ${operatorId} returning id
        ), consumed as (
          update operators set totp_last_used_step = ${step}
          where id = ${operatorId} and ${stepIsNew(sql.ref('totp_last_used_step'), step)} and totp_secret_sealed is not null
            and exists (select 1 from ended)
          returning id
        ), ${throttleCleanup(clearKeys, 'consumed')}, audited as (
          ${insertAudit(audit, 'consumed')}
        ), started as (
          ${insertOperatorSession(swap.next, 'consumed')}
        ), held as (
          select 1 from consumed where not exists (
            select 1 from operator_devices where operator_id = ${operatorId} and expires_at > ${swap.next.lastSeenAt}
              and id in (${unlessHeld.length > 0 ? sql.join(unlessHeld) : sql`''`}))
        ), deviced as (
          ${insertOperatorDevice(operatorId, device, swap.next.lastSeenAt, 'held')} ${device ? sql`returning id` : sql``}
        )
        select (select count(*) from consumed)::int as n, (select count(*) from deviced)::int as d`.execute(db);
      return { used: Number(rows[0]?.n) === 1, deviceStored: Number(rows[0]?.d) === 1 };
    },
    async confirmEnrolment(operatorId, secretSealed, step, swap, audit, device) {
      // Only while the session that started the setup still exists, as for users
      // (two-factor-store.ts confirmEnrolment): a CLI reset that ended it meanwhile wins, and the
      // app is not bound. Every part is gated on `enrolled`, which is gated on `alive`. The
      // operator's row is locked first, in a transaction: in one statement alone, `alive` was read
      // from a snapshot taken before a concurrent reset committed, and the app was bound after it.
      const enrol = async (tx: Kysely<Database>) => {
        await sql`select id from operators where id = ${operatorId} for no key update`.execute(tx);
        const { rows } = await sql<{ n: number }>`
        with alive as (
          select id from operator_sessions where id = ${swap.previousId} and operator_id = ${operatorId}
        ), enrolled as (
          update operators set totp_secret_sealed = ${secretSealed}, totp_last_used_step = ${step}, totp_confirmed_at = ${swap.next.lastSeenAt}
          where id = ${operatorId} and totp_secret_sealed is null and exists (select 1 from alive)
          returning id
        ), ended as (
          delete from operator_sessions where operator_id = ${operatorId} and exists (select 1 from enrolled)
        ), audited as (
          ${insertAudit(audit, 'enrolled')}
        ), started as (
          ${insertOperatorSession(swap.next, 'enrolled')}
        ), deviced as (
          ${insertOperatorDevice(operatorId, device, swap.next.lastSeenAt, 'enrolled')}
        )
        select count(*)::int as n from enrolled`.execute(tx);
        return Number(rows[0]?.n) === 1;
      };
      return db.isTransaction ? enrol(db) : db.transaction().execute(enrol);
    },
  };
}
