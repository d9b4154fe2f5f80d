import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../src/domain/policy/policy.ts';
import { effectiveTwoFactorStatus, passwordWarningFrom } from '../../src/domain/policy/two-factor-rules.ts';
import { countByStatus, pairsFor } from '../../src/domain/admin/list-users.ts';
import { describeTwoFactor } from '../../src/domain/account/describe-me.ts';

const policy = (autoEnable: boolean, maxAgeDays: number | null = null, warnDays: number | null = null): PasswordPolicy => ({
  ...DEFAULT_POLICY,
  twoFactor: { ...DEFAULT_POLICY.twoFactor, autoEnable },
  password: { ...DEFAULT_POLICY.password, maxAgeDays, warnDays },
});
const STATUSES = ['active', 'pending', 'off'] as const;
const PAIRS = [
  { associated: true, enabled: true },
  { associated: false, enabled: true },
  { associated: false, enabled: false },
];

describe('the 2FA status', () => {
  it('is active with an app, pending when enabled (by the user or the instance) without one, else off', () => {
    expect(PAIRS.map((pair) => effectiveTwoFactorStatus(policy(false), pair))).toEqual(['active', 'pending', 'off']);
    expect(PAIRS.map((pair) => effectiveTwoFactorStatus(policy(true), pair))).toEqual(['active', 'pending', 'pending']);
  });

  it('filters, counts and describes users by that one rule', () => {
    for (const auto of [false, true]) {
      const p = policy(auto);
      // The list filter's pairs are exactly the pairs of that status.
      for (const status of STATUSES)
        expect(pairsFor(status, p)).toEqual(PAIRS.filter((pair) => effectiveTwoFactorStatus(p, pair) === status));
      const counts = countByStatus(
        PAIRS.map((pair, i) => ({ ...pair, n: 10 ** i })),
        p,
      );
      expect(counts).toEqual(
        Object.fromEntries(
          STATUSES.map((s) => [s, PAIRS.reduce((sum, pair, i) => sum + (effectiveTwoFactorStatus(p, pair) === s ? 10 ** i : 0), 0)]),
        ),
      );
      for (const pair of PAIRS)
        expect(describeTwoFactor(p, { twoFactorEnabled: pair.enabled }, pair.associated).status).toBe(effectiveTwoFactorStatus(p, pair));
    }
  });
});

describe('the password warning (SPEC rule 10)', () => {
  const changedAt = new Date('2026-01-01T00:00:00.000Z');
  it('starts warnDays before the expiry, at the expiry without warnDays, never without rotation', () => {
    expect(passwordWarningFrom(policy(false, 90, 14), changedAt)?.toISOString()).toBe('2026-03-18T00:00:00.000Z');
    expect(passwordWarningFrom(policy(false, 90, null), changedAt)?.toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(passwordWarningFrom(policy(false, null, null), changedAt)).toBeNull();
    expect(passwordWarningFrom(policy(false, 90, 14), null)).toBeNull();
  });
});
