import { sql, type Kysely, type QueryCreator, type RawBuilder } from 'kysely';
import { throttleMap, type ThrottleKeyParts, type ThrottlePolicy, type ThrottleScope } from '../domain/throttle/throttle.ts';
import type { ThrottleStore } from '../domain/throttle/throttle-store.ts';
import type { Database } from './schema.ts';
import { insertAudit } from './audit-store.ts';
import { insertOutbox, outboxRow } from './outbox-store.ts';
import { returnedRow, type Cte } from './cte.ts';
import { toThrottles } from './rows.ts';
import { prepared } from './prepared.ts';

type Part = string | RawBuilder<string>;

/**
 * A throttle key inside SQL: a domain ThrottleKey, or one whose parts are columns of the statement
 * (the session lookup's own user, session and instance), matched on the key columns, never on a
 * rebuilt string.
 */
export interface KeyInSql {
  scope: ThrottleScope;
  instanceSlug: Part | null;
  subject: Part;
}

/** `alias` is the row of one of `keys` (false for none); each key is an equality on the unique index. */
export function throttleKeyIn(alias: string, keys: readonly KeyInSql[]): RawBuilder<boolean> {
  if (keys.length === 0) return sql<boolean>`false`;
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const one = (key: KeyInSql) =>
    sql`(${column('scope')} = ${key.scope} and ${column('subject')} = ${key.subject} and ${
      key.instanceSlug === null ? sql`${column('instance_slug')} is null` : sql`${column('instance_slug')} = ${key.instanceSlug}`
    })`;
  return sql<boolean>`(${sql.join(keys.map(one), sql` or `)})`;
}

/** The states of the keys as one JSON value, for a select list (read by toThrottles). */
export function throttleSubquery(keys: readonly KeyInSql[]): RawBuilder<unknown> {
  return sql`(select json_agg(json_build_object('scope', th.scope, 'instanceSlug', th.instance_slug, 'subject', th.subject,
                'failures', th.failures, 'last', th.last_failure_at))
              from throttles th where ${throttleKeyIn('th', keys)})`;
}

/**
 * The refund CTE of a success (`refunded`, for a `with()` chain): each client address key in
 * `keys` gets back the attempt this success had reserved, so an address's count stays one of
 * failures; with `gate`, only when the gate returned a row (the success really happened).
 * throttleClear is its other half and reads it.
 */
export function throttleRefund(qb: QueryCreator<Database>, keys: readonly KeyInSql[], gate: Cte | null) {
  return throttleRefundOf(
    qb,
    keys.filter((key) => key.scope === 'address'),
    gate,
  );
}

/**
 * throttleRefund of keys already split by scope (`addressKeys`: the client address's only): for a
 * prepared query, whose build must not read a key's scope (prepared.ts: it is a parameter there).
 */
export function throttleRefundOf(qb: QueryCreator<Database>, addressKeys: readonly KeyInSql[], gate: Cte | null) {
  return qb
    .updateTable('throttles')
    .set((eb) => ({ failures: eb.fn<number>('greatest', [eb('failures', '-', eb.lit(1)), eb.lit(0)]) }))
    .where(throttleKeyIn('throttles', addressKeys))
    .$if(gate !== null, (q) => q.where(returnedRow(gate!)))
    .returning((eb) => eb.lit(1).as('one'));
}

/**
 * The delete CTE of a success (`cleared`): every key in `keys` but the client address's is
 * deleted, with `gate` as for throttleRefund. Why it must read `refunded`, the refund's CTE:
 * reserve() takes the address row first, then the account's; PostgreSQL runs sibling CTEs that
 * nothing reads in no guaranteed order (in practice the last one first), and a success that
 * deleted the account's rows before refunding the address row deadlocked with a parallel
 * attempt's reservation (40P01 in totp-replay-processes.test.ts). Reading it makes the refund
 * finish first: one lock order for every throttle statement. No keys: no-ops.
 */
export function throttleClear(qb: QueryCreator<Database>, keys: readonly KeyInSql[], gate: Cte | null, refunded: Cte) {
  return throttleClearOf(
    qb,
    keys.filter((key) => key.scope !== 'address'),
    gate,
    refunded,
  );
}

/** throttleClear of keys already split by scope (`otherKeys`: all but the client address's), as throttleRefundOf. */
export function throttleClearOf(qb: QueryCreator<Database>, otherKeys: readonly KeyInSql[], gate: Cte | null, refunded: Cte) {
  return qb
    .deleteFrom('throttles')
    .where(throttleKeyIn('throttles', otherKeys))
    .$if(gate !== null, (q) => q.where(returnedRow(gate!)))
    .where((eb) => eb(refunded.select(eb.fn.countAll().as('n')), '>=', eb.lit(0)));
}

/** Keys split as throttleRefundOf and throttleClearOf take them, each key as its three parts (a prepared query's parameters). */
export function splitClearKeys(keys: readonly ThrottleKeyParts[]): { addressKeys: ThrottleKeyParts[]; otherKeys: ThrottleKeyParts[] } {
  const parts = keys.map(keyParts);
  return { addressKeys: parts.filter((key) => key.scope === 'address'), otherKeys: parts.filter((key) => key.scope !== 'address') };
}

/**
 * lockSeconds() of domain/throttle/throttle.ts, in SQL over a failure count: 'infinity' from the
 * hard limit on. The one second copy of the lock formula, kept because the lock test must run
 * inside the upsert, under its row lock (RL-01: a parallel burst sees each other's counts);
 * test/storage/throttle-formula.test.ts pins it to lockSeconds and retryAfterSeconds on a table
 * of inputs, on every engine.
 */
export function lockSecondsSql(failures: RawBuilder<number>, policy: ThrottlePolicy): RawBuilder<number> {
  const hard = policy.hardLimit === null ? sql`false` : sql`${failures} >= ${policy.hardLimit}`;
  return sql<number>`(case when ${hard} then 'infinity'::float8 when ${failures} < ${policy.lockFrom} then 0::float8
    else least(${policy.maxLockSeconds}::float8, ${policy.baseLockSeconds}::float8 * power(2::float8, ${failures} - ${policy.lockFrom})) end)`;
}

/** Seconds from the last failure to `now`. */
const quietSeconds = (lastFailureAt: RawBuilder<Date>, now: RawBuilder<Date>) =>
  sql<number>`extract(epoch from (${now} - ${lastFailureAt}))::float8`;

/** retryAfterSeconds()'s decay: a key quiet for its decay seconds (null: never) starts over. */
export function forgottenSql(
  lastFailureAt: RawBuilder<Date>,
  decaySeconds: RawBuilder<number | null> | number | null,
  now: RawBuilder<Date>,
): RawBuilder<boolean> {
  if (decaySeconds === null) return sql<boolean>`false`;
  return sql<boolean>`coalesce(${quietSeconds(lastFailureAt, now)} >= ${decaySeconds}::float8, false)`;
}

/** retryAfterSeconds(state, now, policy) > 0, in SQL over a row's failures and last failure. */
export function lockedSql(
  failures: RawBuilder<number>,
  lastFailureAt: RawBuilder<Date>,
  now: RawBuilder<Date>,
  policy: ThrottlePolicy,
): RawBuilder<boolean> {
  const lock = lockSecondsSql(failures, policy);
  return sql<boolean>`(not ${forgottenSql(lastFailureAt, policy.decaySeconds, now)}
    and ${lock} > 0 and ${quietSeconds(lastFailureAt, now)} < ${lock})`;
}

const keyValues = (key: ThrottleKeyParts, now: Date, decaySeconds: number | null) =>
  sql`${key.scope}, ${key.instanceSlug}::text, ${key.subject}, 1, ${now}::timestamptz, ${decaySeconds}::integer`;
const KEY_COLUMNS = sql`(scope, instance_slug, subject, failures, last_failure_at, decay_seconds)`;
const ON_KEY = sql`on conflict (scope, subject, instance_slug)`;

/**
 * `insert into throttles … on conflict do update` that adds one attempt to a key unless it is
 * locked under `policy`; a key quiet for its decay time starts over at 1.
 */
function upsertAttempt(rows: RawBuilder<unknown>, policy: ThrottlePolicy) {
  const [failures, last, now] = [
    sql.ref<number>('t.failures'),
    sql.ref<Date>('t.last_failure_at'),
    sql.ref<Date>('excluded.last_failure_at'),
  ];
  const forgotten = forgottenSql(last, policy.decaySeconds, now);
  return sql`insert into throttles as t ${KEY_COLUMNS}
        ${rows}
        ${ON_KEY} do update set
          failures = case when ${forgotten} then 1 else t.failures + 1 end,
          last_failure_at = excluded.last_failure_at
        where not ${lockedSql(failures, last, now, policy)}`;
}

/** A key's three parts only: what the statement reads (a prepared query's parameters are walked). */
const keyParts = (key: ThrottleKeyParts): ThrottleKeyParts => ({ scope: key.scope, instanceSlug: key.instanceSlug, subject: key.subject });

/**
 * One statement reserves the client address's attempt and then the key's: a parallel burst is
 * evaluated only up to whichever lock comes first (RL-01, RL-05). The lock test is lockedSql(),
 * on each row's state before this attempt; under the row locks, concurrent attempts see each
 * other's counts. The address is taken first, always in this order, so two reservations never
 * wait on each other in a cycle. Prepared (src/storage/prepared.ts): every login step runs it,
 * and building and compiling it each time showed in the login's profile (issue 16); its shape is
 * whether there is an address and which policy limits are null.
 */
const reserveAttempt = prepared(
  (
    _db,
    p: {
      key: ThrottleKeyParts;
      policy: ThrottlePolicy;
      now: Date;
      ip: { key: ThrottleKeyParts; policy: ThrottlePolicy } | null;
    },
  ) => {
    const values = keyValues(p.key, p.now, p.policy.decaySeconds);
    const ip = p.ip;
    return sql<{ ip_failures: number | null; failures: number | null }>`
        with ${ip ? sql`ip as (${upsertAttempt(sql`values (${keyValues(ip.key, p.now, ip.policy.decaySeconds)})`, ip.policy)} returning failures),` : sql``}
        account as (
          ${upsertAttempt(ip ? sql`select ${values} from ip` : sql`values (${values})`, p.policy)}
          returning failures
        )
        select ${ip ? sql`(select failures from ip)` : sql`0`} as ip_failures, (select failures from account) as failures`;
  },
);

export function throttleStore(db: Kysely<Database>): ThrottleStore {
  return {
    async reserve(key, policy, now, ip) {
      const row = await reserveAttempt.executeTakeFirstOrThrow(db, {
        key: keyParts(key),
        policy,
        now,
        ip: ip ? { key: keyParts(ip.key), policy: ip.policy } : null,
      });
      if (row.ip_failures === null) return 'ip_locked';
      return row.failures === null ? 'locked' : Number(row.failures);
    },
    async clear(keys) {
      if (keys.length === 0) return;
      await db
        .with('refunded', (qb) => throttleRefund(qb, keys, null))
        .with('cleared', (qb) => throttleClear(qb, keys, null, qb.selectFrom('refunded')))
        .selectNoFrom((eb) => eb.lit(1).as('done'))
        .execute();
    },
    async find(keys) {
      if (keys.length === 0) return throttleMap([]);
      const { rows } = await sql<{ throttles: unknown }>`select ${throttleSubquery(keys)} as throttles`.execute(db);
      return toThrottles(rows[0]?.throttles);
    },
    async recordFailure(keys, now, audit, mails = []) {
      // The failure's audit events and mails are written by the statement that counts it. With no
      // keys (the attempt was already reserved) the statement still runs, also for an unknown
      // account with nothing to write: the same work whether or not the account exists (RL-07).
      const written = db
        .with('audited', (qb) => insertAudit(qb, audit, null))
        .with('mailed', (qb) =>
          insertOutbox(
            qb,
            mails.map((m) => outboxRow(m.instanceId, m.mail, now)),
            null,
          ),
        );
      if (keys.length === 0) {
        await written.selectNoFrom((eb) => eb.lit(1).as('done')).execute();
        return throttleMap([]);
      }
      // One atomic upsert for all keys: concurrent failures never lose a count (no read-modify-write).
      const forgotten = forgottenSql(
        sql.ref('throttles.last_failure_at'),
        sql.ref('throttles.decay_seconds'),
        sql.ref('excluded.last_failure_at'),
      );
      const rows = await written
        .insertInto('throttles')
        .values(
          keys.map((k) => ({
            scope: k.key.scope,
            instance_slug: k.key.instanceSlug,
            subject: k.key.subject,
            failures: 1,
            last_failure_at: now,
            decay_seconds: k.decaySeconds,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['scope', 'subject', 'instance_slug']).doUpdateSet((eb) => ({
            failures: sql<number>`case when ${forgotten} then 1 else throttles.failures + 1 end`,
            last_failure_at: eb.ref('excluded.last_failure_at'),
          })),
        )
        .returning(['scope', 'instance_slug', 'subject', 'failures'])
        .execute();
      return throttleMap(
        rows.map((row) => [{ scope: row.scope, instanceSlug: row.instance_slug, subject: row.subject }, Number(row.failures)] as const),
      );
    },
  };
}
