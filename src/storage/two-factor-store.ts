import { sql, type Kysely } from 'kysely';
import type { NewKnownLocation, SessionSwap, TwoFactorStore } from '../domain/totp/two-factor-store.ts';
import type { Database } from './schema.ts';
import { insertSession, stepIsNew } from './session-store.ts';
import { insertOutbox } from './outbox-store.ts';
import { insertAudit } from './audit-store.ts';
import { throttleCleanup } from './throttle-store.ts';
import type { ThrottleKey } from '../domain/throttle/throttle.ts';

/**
 * Second-factor writes of one instance. The login steps' methods are one statement each
 * (data-modifying CTEs, for the query budget); the cold paths' are single-row builder queries.
 */
export function twoFactorStore(db: Kysely<Database>, instanceId: string): TwoFactorStore {
  const insertLocation = (userId: string, location: NewKnownLocation | null | undefined, now: Date, onlyIf?: string) => {
    if (!location) return sql`select 1 where false`;
    const values = sql`${location.id}, ${instanceId}, ${userId}, ${location.secretHash}, ${location.network}, ${location.device},
                       ${now}::timestamptz, ${now}::timestamptz, ${location.expiresAt}::timestamptz`;
    return sql`insert into known_locations (id, instance_id, user_id, secret_hash, network, device, created_at, last_used_at, expires_at)
               ${onlyIf ? sql`select ${values} from ${sql.table(onlyIf)}` : sql`values (${values})`}`;
  };
  /**
   * The CTEs that grant a used factor's success, each only if the CTE `consumed` changed a row:
   * the client's session is swapped for `swap.next` and the throttle keys are cleared.
   */
  const successEffects = (swap: SessionSwap | undefined, clearKeys: ThrottleKey[]) => sql`
        ${throttleCleanup(clearKeys, 'consumed')}, started as (
          ${swap ? insertSession(instanceId, swap.next, 'consumed') : sql`select 1 where false`}
        )`;
  /**
   * With a session swap, the old session is deleted first and the factor is used only if that
   * delete found it: two concurrent requests on one half-logged-in session cannot both win, even
   * with two different valid factors (MFA-09).
   */
  const endedFirst = (swap: SessionSwap | undefined) =>
    swap ? sql`ended as (delete from sessions where id = ${swap.previousSessionId} and instance_id = ${instanceId} returning id),` : sql``;
  const gatedOnEnded = (swap: SessionSwap | undefined) => (swap ? sql`and exists (select 1 from ended)` : sql``);
  const upsertBackupCode = (userId: string, mac: string, now: Date, onlyIf?: string) =>
    sql`insert into backup_codes (instance_id, user_id, code_mac, created_at)
        ${onlyIf ? sql`select ${instanceId}, ${userId}, ${mac}, ${now}::timestamptz from ${sql.table(onlyIf)}` : sql`values (${instanceId}, ${userId}, ${mac}, ${now})`}
        on conflict (instance_id, user_id) do update set code_mac = excluded.code_mac, created_at = excluded.created_at`;
  return {
    async consumeStep(userId, step, { swap, clearKeys = [], location, audit, mails = [], now }) {
      // Why one conditional UPDATE: the step is accepted once across sessions and processes
      // (RFC 6238 §5.2); everything the success grants happens only if this row changed.
      const { rows } = await sql<{ n: number }>`
        with ${endedFirst(swap)} consumed as (
          update totp_credentials set last_used_step = ${step}
          where instance_id = ${instanceId} and user_id = ${userId} and ${stepIsNew(sql.ref('last_used_step'), step)} ${gatedOnEnded(swap)}
          returning user_id
        ), located as (
          ${insertLocation(userId, location, now, 'consumed')}
        ), audited as (
          ${insertAudit(audit, 'consumed')}
        ), ${successEffects(swap, clearKeys)}
        ${sql.join(
          mails.map((mail, i) => sql`, ${sql.raw(`mailed${i}`)} as (${insertOutbox(instanceId, mail, now, 'consumed')})`),
          sql``,
        )}
        select count(*)::int as n from consumed`.execute(db);
      return Number(rows[0]?.n) === 1;
    },

    async confirmEnrolment(userId, secretSealed, step, swap, location, backup, audit, now) {
      // Why a transaction with the user row locked first (STYLE.md: cold paths lock explicitly):
      // in one statement, two enrolments confirmed at once each saw its own session alive and
      // each ended only the sessions its snapshot held, so both won and both sessions survived
      // (issue 10 item 20). Behind the lock, the statement below starts with a snapshot taken
      // after the other enrolment committed: the session it ended is gone, `alive` is empty.
      return withUserLocked(db, instanceId, userId, async (tx) => {
        // Enrolling is a credential event: every other session and known location of the user ends
        // (SES-07, RD-06); the session that proved the code gets a new id (SES-03).
        // Only while the session that started the setup still exists: a reset that ended it
        // meanwhile wins, and the app is not bound. Every part is gated on `alive`, never on the
        // insert's RETURNING: reading it made PostgreSQL run the parts in another order, and the
        // users row (touched here and by the totp_credentials trigger) lost an update, so the
        // Users-list counters drifted (users-list.test.ts "keeps the counts right when a user sets up at login…").
        const { rows } = await sql<{ id: string }>`
          with alive as (
            select id from sessions where id = ${swap.previousSessionId} and instance_id = ${instanceId} and user_id = ${userId}
          ), enrolled as (
            insert into totp_credentials (instance_id, user_id, secret_sealed, confirmed_at, last_used_step)
            select ${instanceId}, ${userId}, ${secretSealed}, ${now}::timestamptz, ${step}::bigint from alive
            on conflict (instance_id, user_id) do update
              set secret_sealed = excluded.secret_sealed, confirmed_at = excluded.confirmed_at, last_used_step = excluded.last_used_step
          ), enabled as (
            update users set two_factor_enabled = true where instance_id = ${instanceId} and id = ${userId} and exists (select 1 from alive)
          ), ended as (
            delete from sessions where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from alive)
          ), forgotten as (
            delete from known_locations where instance_id = ${instanceId} and user_id = ${userId} and exists (select 1 from alive)
          ), located as (
            ${insertLocation(userId, location, now, 'alive')}
          ), coded as (
            ${upsertBackupCode(userId, backup.mac, now, 'alive')}
          ), mailed as (
            ${insertOutbox(instanceId, backup.mail, now, 'alive')}
          ), audited as (
            ${insertAudit(audit, 'alive')}
          )
          ${insertSession(instanceId, swap.next, 'alive')}
          returning id`.execute(tx);
        return rows.length === 1;
      });
    },

    async consumeBackupCode(userId, oldMac, next, { swap, clearKeys = [], audit, now }) {
      // Why one statement: the old code stops working, the new one is stored and its mail is
      // queued together; no crash or race can lose the replacement or accept the old code twice.
      const { rows } = await sql<{ n: number }>`
        with ${endedFirst(swap)} consumed as (
          update backup_codes set code_mac = ${next.mac}, created_at = ${now}
          where instance_id = ${instanceId} and user_id = ${userId} and code_mac = ${oldMac} ${gatedOnEnded(swap)}
          returning user_id
        ), mailed as (
          ${insertOutbox(instanceId, next.mail, now, 'consumed')}
        ), audited as (
          ${insertAudit(audit, 'consumed')}
        ), ${successEffects(swap, clearKeys)}
        select count(*)::int as n from consumed`.execute(db);
      return Number(rows[0]?.n) === 1;
    },

    // The cold paths' rows (reset, disable, backup-code replacement): one row change each, run by
    // the use-cases inside stores.transaction after users.lockById.
    async deleteAuthenticator(userId) {
      const result = await db
        .deleteFrom('totp_credentials')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async deleteBackupCode(userId) {
      const result = await db
        .deleteFrom('backup_codes')
        .where('instance_id', '=', instanceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async replaceBackupCode(userId, mac, now) {
      await db
        .insertInto('backup_codes')
        .values({ instance_id: instanceId, user_id: userId, code_mac: mac, created_at: now })
        .onConflict((oc) =>
          oc
            .columns(['instance_id', 'user_id'])
            .doUpdateSet((eb) => ({ code_mac: eb.ref('excluded.code_mac'), created_at: eb.ref('excluded.created_at') })),
        )
        .execute();
    },

    async setEnabled(userId, enabled) {
      const result = await db
        .updateTable('users')
        .set({ two_factor_enabled: enabled })
        .where('instance_id', '=', instanceId)
        .where('id', '=', userId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

/**
 * Runs `work` in a transaction (or the caller's) after `select … for no key update` on the user
 * row: credential changes of one user happen one after another (SES-07: an enrolment; the cold
 * paths take the same row's lock through users.lockById). Why not FOR UPDATE: a login step that
 * holds the user's totp_credentials (or backup_codes) row and inserts a session takes FOR KEY
 * SHARE on this row for the foreign key; FOR UPDATE would block it while the enrolment waits for
 * the credential row: a deadlock (PostgreSQL docs, "Row-Level Locks"). NO KEY UPDATE still queues
 * every other enrolment and lockById.
 */
async function withUserLocked<T>(
  db: Kysely<Database>,
  instanceId: string,
  userId: string,
  work: (tx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const locked = async (tx: Kysely<Database>) => {
    await sql`select id from users where instance_id = ${instanceId} and id = ${userId} for no key update`.execute(tx);
    return work(tx);
  };
  return db.isTransaction ? locked(db) : db.transaction().execute(locked);
}
