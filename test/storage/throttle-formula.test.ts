import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines, openTestDatabase } from '../support/db.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import {
  ACCOUNT_POLICY,
  IP_POLICY,
  lockSeconds,
  REAUTH_POLICY,
  retryAfterSeconds,
  type ThrottlePolicy,
} from '../../src/domain/throttle/throttle.ts';
import { LINK_POLICY } from '../../src/domain/account/link-throttle.ts';
import { forgottenSql, lockedSql, lockSecondsSql } from '../../src/storage/throttle-store.ts';

/**
 * The lock formula has one home, lockSeconds()/retryAfterSeconds() of domain/throttle/throttle.ts,
 * and one second copy in SQL (storage/throttle-store.ts), which must run inside the reserving
 * upsert under its row lock (RL-01). This table pins the copy to the home on every engine.
 */
const POLICIES: Record<string, ThrottlePolicy> = { account: ACCOUNT_POLICY, address: IP_POLICY, reauth: REAUTH_POLICY, link: LINK_POLICY };
const FAILURES = [0, 1, 4, 5, 6, 7, 8, 10, 11, 12, 19, 20, 21, 49, 50, 51, 55, 99, 100, 101, 150];
// Negative: the last failure was written with a clock a little ahead (another process, a concurrent attempt).
const QUIET_SECONDS = [-5, -1, 0, 1, 30, 59, 60, 61, 119, 120, 121, 479, 480, 481, 3599, 3600, 3601, 43_199, 43_200, 43_201, 7 * 24 * 3600];
const LAST_FAILURE_AT = new Date('2026-03-01T12:00:00.000Z');

describe.each(engines())('the lock formula in SQL on %s', (engine) => {
  let database: DatabaseHandle;
  beforeAll(async () => void (database = await openTestDatabase(engine)));
  afterAll(async () => database.close());

  it.each(Object.keys(POLICIES))('agrees with lockSeconds and retryAfterSeconds for the %s policy', async (name) => {
    const policy = POLICIES[name]!;
    const cases = FAILURES.flatMap((failures) => QUIET_SECONDS.map((quiet) => ({ failures, quiet })));
    const rows = sql.join(
      cases.map((c) => sql`(${c.failures}::integer, ${new Date(LAST_FAILURE_AT.getTime() + c.quiet * 1000)}::timestamptz)`),
    );
    const [failures, last, now] = [sql.ref<number>('c.failures'), sql<Date>`${LAST_FAILURE_AT}::timestamptz`, sql.ref<Date>('c.now')];
    const { rows: answers } = await sql<{ lock: number | string; locked: boolean; forgotten: boolean }>`
      select ${lockSecondsSql(failures, policy)} as lock, ${lockedSql(failures, last, now, policy)} as locked,
             ${forgottenSql(last, policy.decaySeconds, now)} as forgotten
      from (values ${rows}) as c (failures, now)`.execute(database.db);
    const fromSql = answers.map((a, i) => ({ ...cases[i]!, lock: Number(a.lock), locked: a.locked, forgotten: a.forgotten }));
    const fromDomain = cases.map((c) => {
      const state = { failures: c.failures, lastFailureAt: LAST_FAILURE_AT };
      const at = new Date(LAST_FAILURE_AT.getTime() + c.quiet * 1000);
      return {
        ...c,
        lock: lockSeconds(c.failures, policy),
        locked: retryAfterSeconds(state, at, policy) > 0,
        forgotten: policy.decaySeconds !== null && c.quiet >= policy.decaySeconds,
      };
    });
    expect(fromSql).toEqual(fromDomain);
    // The table reaches every branch: free failures, a growing lock, the cap, the hard limit.
    expect(new Set(fromDomain.map((c) => c.lock)).size).toBeGreaterThan(4);
  });
});
