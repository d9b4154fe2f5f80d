import { sql, type Kysely } from 'kysely';
import type { ThrottleStore } from '../domain/throttle/throttle-store.ts';
import type { Database } from './schema.ts';
import { insertAudit } from './audit-store.ts';

/**
 * `delete from throttles …` for a CTE: the keys a success clears; with `onlyIf` (a CTE name),
 * only when that CTE returned a row (the success really happened). No keys: a no-op.
 */
export function deleteThrottleKeys(keys: readonly string[], onlyIf?: string) {
  return sql`delete from throttles where ${keys.length > 0 ? sql`key in (${sql.join(keys)})` : sql`false`}
             ${onlyIf ? sql`and exists (select 1 from ${sql.table(onlyIf)})` : sql``}`;
}

export function throttleStore(db: Kysely<Database>): ThrottleStore {
  return {
    async reserve(key, policy, now) {
      // The lock test is lockSeconds() of domain/throttle/throttle.ts, in SQL, on the row's state
      // before this attempt: under the row lock, concurrent attempts see each other's counts.
      const { rows } = await sql<{ failures: number }>`
        insert into throttles as t (key, failures, last_failure_at, decay_seconds)
        values (${key}, 1, ${now}::timestamptz, ${policy.decaySeconds}::integer)
        on conflict (key) do update set failures = t.failures + 1, last_failure_at = excluded.last_failure_at
        where not (
          ${policy.hardLimit === null ? sql`false` : sql`t.failures >= ${policy.hardLimit}`}
          or (t.failures >= ${policy.lockFrom}
              and t.last_failure_at + make_interval(secs => least(${policy.maxLockSeconds}::float8,
                    ${policy.baseLockSeconds}::float8 * power(2, t.failures - ${policy.lockFrom}))) > excluded.last_failure_at)
        )
        returning failures`.execute(db);
      return rows[0] ? Number(rows[0].failures) : null;
    },
    async clear(keys) {
      if (keys.length > 0) await db.deleteFrom('throttles').where('key', 'in', keys).execute();
    },
    async find(keys) {
      if (keys.length === 0) return new Map();
      const rows = await db.selectFrom('throttles').select(['key', 'failures', 'last_failure_at']).where('key', 'in', keys).execute();
      return new Map(rows.map((row) => [row.key, { failures: row.failures, lastFailureAt: row.last_failure_at }]));
    },
    async recordFailure(keys, now, audit) {
      if (keys.length === 0) {
        if (audit && audit.length > 0) await insertAudit(audit).execute(db);
        return new Map();
      }
      // One atomic upsert for all keys: concurrent failures never lose a count (no read-modify-write).
      const values = keys.map((k) => sql`(${k.key}, 1, ${now}::timestamptz, ${k.decaySeconds}::integer)`);
      const { rows } = await sql<{ key: string; failures: number }>`
        with audited as (
          ${insertAudit(audit)}
        )
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
