import { describe, expect, it } from 'vitest';
import { applyPolicyPatch, DEFAULT_POLICY, POLICY_LIMITS, type PasswordPolicy, type PolicyPatch } from '../../src/domain/policy/policy.ts';
import { DomainError } from '../../src/domain/shared/errors.ts';
import type { Plan } from '../../src/domain/instance/instance.ts';

/** The refusal `applyPolicyPatch` throws, as code and field; null when it accepts the patch. */
function refusal(current: PasswordPolicy, patch: PolicyPatch, plan: Plan): { code: string; field?: string } | null {
  try {
    applyPolicyPatch(current, patch, plan);
    return null;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, ...(error.details?.field ? { field: String(error.details.field) } : {}) };
  }
}

const ENFORCED: PasswordPolicy = {
  twoFactor: { autoEnable: true, enforceSetup: true, enforceFrom: new Date('2027-01-01T00:00:00Z'), maxPostpones: 3 },
  password: { minLength: 14, maxAgeDays: 90, warnDays: 10, historyCount: 5 },
};

describe('a password policy change (SPEC §1, rules 1–3 and 10)', () => {
  it('merges a partial patch into the current policy and leaves the rest as it was', () => {
    const next = applyPolicyPatch(DEFAULT_POLICY, { password: { minLength: 16 } }, 'professional');
    expect(next).toEqual({ ...DEFAULT_POLICY, password: { ...DEFAULT_POLICY.password, minLength: 16 } });
    expect(DEFAULT_POLICY.password.minLength).toBe(12);
  });

  it.each([
    ['auto-enable', { twoFactor: { autoEnable: true } }],
    ['enforced setup', { twoFactor: { autoEnable: true, enforceSetup: true } }],
    ['password rotation', { password: { maxAgeDays: 90 } }],
  ] as Array<[string, PolicyPatch]>)('refuses %s outside Enterprise with plan_required (rule 1)', (_rule, patch) => {
    for (const plan of ['professional', 'business'] as const)
      expect(refusal(DEFAULT_POLICY, patch, plan)).toEqual({ code: 'plan_required' });
    expect(refusal(DEFAULT_POLICY, patch, 'enterprise')).toBeNull();
  });

  it('refuses a new deadline or postponement limit outside Enterprise', () => {
    expect(refusal(ENFORCED, { twoFactor: { enforceFrom: new Date('2027-06-01T00:00:00Z') } }, 'business')).toEqual({
      code: 'plan_required',
    });
    expect(refusal(ENFORCED, { twoFactor: { maxPostpones: 4 } }, 'business')).toEqual({ code: 'plan_required' });
  });

  it('lets a downgraded instance keep or switch off its Enterprise rules, and change the others', () => {
    expect(refusal(ENFORCED, { twoFactor: { autoEnable: true, enforceSetup: true, maxPostpones: 3 } }, 'professional')).toBeNull();
    expect(applyPolicyPatch(ENFORCED, { password: { maxAgeDays: null, warnDays: null } }, 'professional').password).toEqual({
      minLength: 14,
      maxAgeDays: null,
      warnDays: null,
      historyCount: 5,
    });
    const off = applyPolicyPatch(ENFORCED, { twoFactor: { enforceSetup: false, autoEnable: false } }, 'business');
    expect(off.twoFactor).toEqual({ autoEnable: false, enforceSetup: false, enforceFrom: null, maxPostpones: null });
  });

  it('refuses enforced setup without auto-enable with invalid_policy (rule 3)', () => {
    expect(refusal(DEFAULT_POLICY, { twoFactor: { enforceSetup: true } }, 'enterprise')).toEqual({
      code: 'invalid_policy',
      field: 'twoFactor.enforceSetup',
    });
    expect(refusal(ENFORCED, { twoFactor: { autoEnable: false } }, 'enterprise')).toEqual({
      code: 'invalid_policy',
      field: 'twoFactor.enforceSetup',
    });
  });

  it('refuses a deadline or a postponement limit without enforced setup, and clears them when enforcement goes', () => {
    const auto: PasswordPolicy = { ...DEFAULT_POLICY, twoFactor: { ...DEFAULT_POLICY.twoFactor, autoEnable: true } };
    expect(refusal(auto, { twoFactor: { maxPostpones: 2 } }, 'enterprise')).toEqual({
      code: 'invalid_policy',
      field: 'twoFactor.enforceSetup',
    });
    expect(refusal(auto, { twoFactor: { enforceFrom: new Date('2027-01-01T00:00:00Z') } }, 'enterprise')).toEqual({
      code: 'invalid_policy',
      field: 'twoFactor.enforceSetup',
    });
    expect(applyPolicyPatch(ENFORCED, { twoFactor: { enforceSetup: false } }, 'enterprise').twoFactor).toEqual({
      autoEnable: true,
      enforceSetup: false,
      enforceFrom: null,
      maxPostpones: null,
    });
  });

  it('accepts each number at the ends of its range and refuses one step beyond, and fractions, with the field named', () => {
    const cases: Array<[string, (value: number) => PolicyPatch, { min: number; max: number }]> = [
      ['password.minLength', (value) => ({ password: { minLength: value } }), POLICY_LIMITS.minLength],
      ['password.historyCount', (value) => ({ password: { historyCount: value } }), POLICY_LIMITS.historyCount],
      ['password.maxAgeDays', (value) => ({ password: { maxAgeDays: value, warnDays: null } }), POLICY_LIMITS.maxAgeDays],
      ['twoFactor.maxPostpones', (value) => ({ twoFactor: { maxPostpones: value } }), POLICY_LIMITS.maxPostpones],
    ];
    for (const [field, patch, range] of cases) {
      expect(refusal(ENFORCED, patch(range.min), 'enterprise'), `${field} = ${range.min}`).toBeNull();
      expect(refusal(ENFORCED, patch(range.max), 'enterprise'), `${field} = ${range.max}`).toBeNull();
      for (const bad of [range.min - 1, range.max + 1, range.min + 0.5]) {
        expect(refusal(ENFORCED, patch(bad), 'enterprise'), `${field} = ${bad}`).toEqual({ code: 'invalid_request', field });
      }
    }
  });

  it('checks the warning days against their range and against the password lifetime (rule 10)', () => {
    expect(refusal(ENFORCED, { password: { warnDays: POLICY_LIMITS.warnDays.max + 1 } }, 'enterprise')).toEqual({
      code: 'invalid_request',
      field: 'password.warnDays',
    });
    expect(refusal(ENFORCED, { password: { maxAgeDays: 30, warnDays: 30 } }, 'enterprise')).toEqual({
      code: 'invalid_policy',
      field: 'password.warnDays',
    });
    expect(refusal(ENFORCED, { password: { maxAgeDays: 31, warnDays: 30 } }, 'enterprise')).toBeNull();
    // Without rotation a warning has nothing to be measured against, and is only range-checked.
    expect(refusal(DEFAULT_POLICY, { password: { warnDays: 90 } }, 'professional')).toBeNull();
  });
});
