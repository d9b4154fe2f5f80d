import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines, openTestDatabase } from '../support/db.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../src/domain/policy/policy.ts';
import { effectiveTwoFactorStatus, passwordExpiresAt, passwordWarningFrom } from '../../src/domain/policy/two-factor-rules.ts';
import { passwordExpiresAtSql, passwordWarningFromSql, twoFactorStatusSql } from '../../src/storage/policy-sql.ts';

/**
 * The 2FA status and the password warning have their home in domain/policy/two-factor-rules.ts;
 * storage/policy-sql.ts copies them into the statements over every user (reminders, adoption).
 * These tables pin each copy to its home on every engine.
 */
const policyWith = (autoEnable: boolean, maxAgeDays: number | null = null, warnDays: number | null = null): PasswordPolicy => ({
  ...DEFAULT_POLICY,
  twoFactor: { ...DEFAULT_POLICY.twoFactor, autoEnable },
  password: { ...DEFAULT_POLICY.password, maxAgeDays, warnDays },
});

describe.each(engines())('the policy rules in SQL on %s', (engine) => {
  let database: DatabaseHandle;
  beforeAll(async () => void (database = await openTestDatabase(engine)));
  afterAll(async () => database.close());

  it('gives every (own switch, app, auto-enable) the 2FA status effectiveTwoFactorStatus gives', async () => {
    const cases = [false, true].flatMap((enabled) =>
      [false, true].flatMap((associated) => [false, true].map((autoEnable) => ({ enabled, associated, autoEnable }))),
    );
    const rows = sql.join(cases.map((c) => sql`(${c.enabled}::boolean, ${c.associated}::boolean, ${c.autoEnable}::boolean)`));
    const { rows: answers } = await sql<{ status: string }>`
      select ${twoFactorStatusSql(sql.ref('c.enabled'), sql.ref('c.associated'), sql.ref('c.auto'))} as status
      from (values ${rows}) as c (enabled, associated, auto)`.execute(database.db);
    expect(answers.map((a) => a.status)).toEqual(cases.map((c) => effectiveTwoFactorStatus(policyWith(c.autoEnable), c)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set(['active', 'pending', 'off']));
  });

  it('puts the expiry and the start of its warning where passwordExpiresAt and passwordWarningFrom put them', async () => {
    const changedAt = new Date('2026-03-28T23:30:00.000Z');
    const cases = [
      { maxAgeDays: null, warnDays: null },
      { maxAgeDays: 30, warnDays: null },
      { maxAgeDays: 30, warnDays: 7 },
      { maxAgeDays: 60, warnDays: 10 },
      { maxAgeDays: 90, warnDays: 14 },
      { maxAgeDays: 3650, warnDays: 90 },
    ];
    const rows = sql.join(cases.map((c) => sql`(${changedAt}::timestamptz, ${c.maxAgeDays}::integer, ${c.warnDays}::integer)`));
    const { rows: answers } = await sql<{ expires: Date | null; warn: Date | null }>`
      select ${passwordExpiresAtSql(sql.ref('c.changed'), sql.ref('c.max_age'))} as expires,
             ${passwordWarningFromSql(sql.ref('c.changed'), sql.ref('c.max_age'), sql.ref('c.warn'))} as warn
      from (values ${rows}) as c (changed, max_age, warn)`.execute(database.db);
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    expect(answers.map((a) => [iso(a.expires), iso(a.warn)])).toEqual(
      cases.map((c) => {
        const policy = policyWith(false, c.maxAgeDays, c.warnDays);
        return [iso(passwordExpiresAt(policy, changedAt)), iso(passwordWarningFrom(policy, changedAt))];
      }),
    );
  });
});
