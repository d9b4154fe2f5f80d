import { sql, type Kysely, type RawBuilder } from 'kysely';
import { IP_KEY_PREFIX, type ThrottlePolicy } from '../domain/throttle/throttle.ts';
import type { ThrottleStore } from '../domain/throttle/throttle-store.ts';
import type { Database } from './schema.ts';
import { insertAudit } from './audit-store.ts';
import { insertOutbox } from './outbox-store.ts';

/**
 * `delete from throttles …` for a CTE: the keys a success clears; with `onlyIf` (a CTE name),
 * only when that CTE returned a row (the success really happened). No keys: a no-op. Client
 * address keys (`ip:`) in the list are not deleted: refundThrottleKeys gives them back the
 * attempt this success had reserved, so that an address's count stays one of failures.
 */
export function deleteThrottleKeys(keys: readonly string[], onlyIf?: string) {
  const own = keys.filter((key) => !key.startsWith(IP_KEY_PREFIX));
  return sql`delete from throttles where ${own.length > 0 ? sql`key in (${sql.join(own)})` : sql`false`}
             ${onlyIf ? sql`and exists (select 1 from ${sql.table(onlyIf)})` : sql``}`;
}

/**
 * The other half of deleteThrottleKeys, for its own CTE placed before the delete's (rows are taken
 * address first, as reserve() takes them): one attempt less on each address key in `keys`.
 */
export function refundThrottleKeys(keys: readonly string[], onlyIf?: string) {
  const addresses = keys.filter((key) => key.startsWith(IP_KEY_PREFIX));
  return sql`update throttles set failures = greatest(failures - 1, 0)
             where ${addresses.length > 0 ? sql`key in (${sql.join(addresses)})` : sql`false`}
             ${onlyIf ? sql`and exists (select 1 from ${sql.table(onlyIf)})` : sql``}`;
}

/**
 * `insert into throttles … on conflict do update` that adds one attempt to a key unless it is
 * locked under `policy`; a key quiet for its decay time starts over at 1.
 */
function upsertAttempt(rows: RawBuilder<unknown>, policy: ThrottlePolicy) {
  const decayed =
    policy.decaySeconds === null ? sql`false` : sql`t.last_failure_at + make_interval(secs => ${policy.decaySeconds}::float8) <= excluded.last_failure_at`;
  return sql`insert into throttles as t (key, failures, last_failure_at, decay_seconds)
        ${rows}
        on conflict (key) do update set
          failures = case when ${decayed} then 1 else t.failures + 1 end,
          last_failure_at = excluded.last_failure_at
        where ${decayed} or not (
          ${policy.hardLimit === null ? sql`false` : sql`t.failures >= ${policy.hardLimit}`}
          or (t.failures >= ${policy.lockFrom}
              and t.last_failure_at + make_interval(secs => least(${policy.maxLockSeconds}::float8,
                    ${policy.baseLockSeconds}::float8 * power(2, t.failures - ${policy.lockFrom}))) > excluded.last_failure_at)
        )`;
}

export function throttleStore(db: Kysely<Database>): ThrottleStore {
  return {
    async reserve(key, policy, now, ip) {
      // One statement reserves the client address's attempt and then the key's: a parallel burst
      // is evaluated only up to whichever lock comes first (RL-01, RL-05). The lock tests are
      // lockSeconds() of domain/throttle/throttle.ts, in SQL, on each row's state before this
      // attempt; under the row locks, concurrent attempts see each other's counts. The address is
      // taken first, always in this order, so two reservations never wait on each other in a cycle.
      const values = sql`${key}, 1, ${now}::timestamptz, ${policy.decaySeconds}::integer`;
      const { rows } = await sql<{ ip_failures: number | null; failures: number | null }>`
        with ${ip ? sql`ip as (${upsertAttempt(sql`values (${ip.key}, 1, ${now}::timestamptz, ${ip.policy.decaySeconds}::integer)`, ip.policy)} returning failures),` : sql``}
        account as (
          ${upsertAttempt(ip ? sql`select ${values} from ip` : sql`values (${values})`, policy)}
          returning failures
        )
        select ${ip ? sql`(select failures from ip)` : sql`0`} as ip_failures, (select failures from account) as failures`.execute(db);
      const row = rows[0]!;
      if (row.ip_failures === null) return 'ip_locked';
      return row.failures === null ? 'locked' : Number(row.failures);
    },
    async clear(keys) {
      if (keys.length > 0) await sql`with refunded as (${refundThrottleKeys(keys)}) ${deleteThrottleKeys(keys)}`.execute(db);
    },
    async find(keys) {
      if (keys.length === 0) return new Map();
      const rows = await db.selectFrom('throttles').select(['key', 'failures', 'last_failure_at']).where('key', 'in', keys).execute();
      return new Map(rows.map((row) => [row.key, { failures: row.failures, lastFailureAt: row.last_failure_at }]));
    },
    async recordFailure(keys, now, audit, mails = []) {
      // The failure's audit events and mails are written by the statement that counts it. With no
      // keys (the attempt was already reserved) the statement still runs, also for an unknown
      // account with nothing to write: the same work whether or not the account exists (RL-07).
      const mailed = mails.map((m, i) => sql`, ${sql.raw(`mailed${i}`)} as (${insertOutbox(m.instanceId, m.mail, now)})`);
      if (keys.length === 0) {
        await sql`with audited as (${insertAudit(audit)}) ${sql.join(mailed, sql``)} select 1 as done`.execute(db);
        return new Map();
      }
      // One atomic upsert for all keys: concurrent failures never lose a count (no read-modify-write).
      const values = keys.map((k) => sql`(${k.key}, 1, ${now}::timestamptz, ${k.decaySeconds}::integer)`);
      const { rows } = await sql<{ key: string; failures: number }>`
        with audited as (
          ${insertAudit(audit)}
        ) ${sql.join(mailed, sql``)}
        insert into throttles as t (key, failures, last_failure_at, decay_seconds)
        values ${sql.join(values)}
        on conflict (key) do update set
          failures = case
            when t.decay_seconds is not null and t.last_failure_at < excluded.last_failure_at - make_interval(secs => t.decay_seconds)
            then 1 else t.failures + 1 end,
          last_failure_at = excluded.last_failure_at
        returning key, failures`.execute(db);
      return new Map(rows.map((row) => [row.key, Number(row.failures)]));
    },
  };
}
