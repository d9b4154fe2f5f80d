import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines, openTestDatabase } from '../support/db.ts';
import type { DatabaseHandle } from '../../src/storage/connect.ts';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../src/domain/policy/policy.ts';
import { effectiveTwoFactorStatus, passwordExpiresAt, passwordWarningFrom } from '../../src/domain/policy/two-factor-rules.ts';
import { passwordExpiresAtSql, passwordWarningFromSql, twoFactorStatusSql } from '../../src/storage/policy-sql.ts';
import { createStores } from '../../src/storage/stores.ts';
import { givenInstance, givenUser, testDeps } from '../support/deps.ts';

/**
 * The 2FA status and the password warning have their home in domain/policy/two-factor-rules.ts;
 * storage/policy-sql.ts copies them into the statements over every user (reminders, adoption,
 * "ask users to enable"). These tables pin each copy, and the statements that use it, to its home
 * on every engine.
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

  // SPEC rule 1: "an email to every user whose status is `off`". The statement of
  // directory.requestTwoFactor picks them in SQL; over every stored state, under auto-enable off
  // and on, it must pick exactly the active users effectiveTwoFactorStatus calls off and who were
  // not asked since `askedBefore`.
  it('asks exactly the users whose status effectiveTwoFactorStatus calls off (ask users to enable)', async () => {
    const deps = await testDeps(database);
    const now = new Date('2026-05-04T10:00:00.000Z');
    const askedBefore = new Date(now.getTime() - 24 * 3600 * 1000);
    const askedAt = { never: null, longAgo: new Date(askedBefore.getTime() - 1000), recently: new Date(askedBefore.getTime() + 1000) };
    const mail = { subject: 'Please turn on two-factor authentication', text: 'Please.', html: '<p>Please.</p>' };
    for (const autoEnable of [false, true]) {
      const { instance, admin } = await givenInstance(deps, 'enterprise');
      const bystander = await givenInstance(deps, 'enterprise');
      await sql`update instances set two_factor_auto_enable = ${autoEnable} where id in (${instance.id}, ${bystander.instance.id})`.execute(
        database.db,
      );
      await sql`update users set status = 'disabled' where id = ${admin.id}`.execute(database.db);
      const states = [false, true].flatMap((enabled) =>
        [false, true].flatMap((associated) =>
          (['active', 'disabled'] as const).flatMap((status) =>
            (Object.keys(askedAt) as Array<keyof typeof askedAt>).map((asked) => ({ enabled, associated, status, asked })),
          ),
        ),
      );
      const users = [];
      for (const [i, state] of states.entries()) {
        for (const given of [instance, bystander.instance]) {
          const user = await givenUser(deps, given, `u${i}-${given.id === instance.id ? 'asked' : 'other'}@example.test`);
          await sql`update users set two_factor_enabled = ${state.enabled}, totp_associated = ${state.associated}, status = ${state.status},
                      two_factor_requested_at = ${askedAt[state.asked]} where id = ${user.id}`.execute(database.db);
          if (given.id === instance.id) users.push({ ...state, email: user.email });
        }
      }
      const emailed = await createStores(database.db, database.engine)
        .forInstance(instance.id)
        .directory.requestTwoFactor(mail, now, askedBefore);

      const policy = policyWith(autoEnable);
      const expected = users
        .filter((u) => u.status === 'active' && u.asked !== 'recently' && effectiveTwoFactorStatus(policy, u) === 'off')
        .map((u) => u.email)
        .sort();
      expect(expected.length > 0).toBe(!autoEnable);
      const marked = await database.db
        .selectFrom('users')
        .select('email')
        .where('two_factor_requested_at', '=', now)
        .where('instance_id', 'in', [instance.id, bystander.instance.id])
        .execute();
      expect(marked.map((r) => r.email).sort(), `auto-enable ${autoEnable}`).toEqual(expected);
      const queued = await database.db
        .selectFrom('outbox')
        .select('recipient')
        .where('instance_id', 'in', [instance.id, bystander.instance.id])
        .where('subject', '=', mail.subject)
        .execute();
      expect(queued.map((r) => r.recipient).sort()).toEqual(expected);
      expect(emailed).toBe(expected.length);
    }
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
