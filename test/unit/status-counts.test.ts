import { describe, expect, it } from 'vitest';
import { countByStatus, pairsFor } from '../../src/domain/admin/list-users.ts';
import { describeTwoFactor, type TwoFactorStatus } from '../../src/domain/account/describe-me.ts';
import { DEFAULT_POLICY, type PasswordPolicy } from '../../src/domain/policy/policy.ts';

const MANUAL = DEFAULT_POLICY;
const AUTO: PasswordPolicy = { ...DEFAULT_POLICY, twoFactor: { ...DEFAULT_POLICY.twoFactor, autoEnable: true } };
const STATUSES: TwoFactorStatus[] = ['active', 'pending', 'off'];
/** Every stored (associated, enabled) pair the users table can hold: an app implies the switch. */
const PAIRS = [
  { associated: true, enabled: true },
  { associated: false, enabled: true },
  { associated: false, enabled: false },
];

describe('the 2FA status counts of the users list and the adoption chart (SPEC §1)', () => {
  it('adds up the stored pairs by effective status, with and without auto-enable', () => {
    const rows = [
      { associated: true, enabled: true, n: 3 },
      { associated: false, enabled: true, n: 5 },
      { associated: false, enabled: false, n: 7 },
    ];
    expect(countByStatus(rows, MANUAL)).toEqual({ active: 3, pending: 5, off: 7 });
    expect(countByStatus(rows, AUTO)).toEqual({ active: 3, pending: 12, off: 0 });
    expect(countByStatus([], MANUAL)).toEqual({ active: 0, pending: 0, off: 0 });
  });

  // The status has three homes here (the counts, the list filter, each user's own description):
  // this pins that they agree on every pair under both policies.
  it.each([
    ['without auto-enable', MANUAL],
    ['with auto-enable', AUTO],
  ])('counts each pair under the status its user is shown with, and filters by the same pairs, %s', (_name, policy) => {
    for (const pair of PAIRS) {
      const shown = describeTwoFactor(policy, { twoFactorEnabled: pair.enabled }, pair.associated).status;
      const counted = countByStatus([{ ...pair, n: 1 }], policy);
      expect(counted[shown], JSON.stringify(pair)).toBe(1);
      for (const status of STATUSES)
        expect(pairsFor(status, policy).some((p) => p.associated === pair.associated && p.enabled === pair.enabled)).toBe(status === shown);
    }
  });
});
