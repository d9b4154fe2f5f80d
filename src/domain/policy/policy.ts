import { DomainError, invalidInput } from '../shared/errors.ts';
import type { Plan } from '../instance/instance.ts';

/**
 * The instance's "Password policy" (SPEC §1): 2FA auto-enable and enforcement, and password
 * rules. Stored on the instance row, so "2FA for a million users" is one row, not a loop.
 */
export interface PasswordPolicy {
  twoFactor: {
    /** 2FA on for every current and future user (SPEC rule 2). */
    autoEnable: boolean;
    /** Users without an app get no full session until they set one up (SPEC rule 3). */
    enforceSetup: boolean;
    /** Enforcement starts at this instant; before it, users may still postpone. null: at once. */
    enforceFrom: Date | null;
    /** After this many postponements setup is required. null: no limit. */
    maxPostpones: number | null;
  };
  password: {
    minLength: number;
    /** Rotation (SPEC rule 10); null: off, the default (NIST SP 800-63B advises against it). */
    maxAgeDays: number | null;
    /** Warn this many days before expiry. */
    warnDays: number | null;
    /** Refuse the last N passwords. */
    historyCount: number;
  };
}

export const DEFAULT_POLICY: PasswordPolicy = {
  twoFactor: { autoEnable: false, enforceSetup: false, enforceFrom: null, maxPostpones: null },
  password: { minLength: 12, maxAgeDays: null, warnDays: null, historyCount: 0 },
};

export const POLICY_LIMITS = {
  minLength: { min: 12, max: 128 },
  maxAgeDays: { min: 30, max: 3650 },
  warnDays: { min: 1, max: 90 },
  historyCount: { min: 0, max: 24 },
  maxPostpones: { min: 0, max: 100 },
} as const;

export type PolicyPatch = {
  twoFactor?: Partial<PasswordPolicy['twoFactor']>;
  password?: Partial<PasswordPolicy['password']>;
};

/**
 * The policy after a change, or a refusal: Enterprise-only rules on another plan are 403
 * `plan_required` (SPEC rule 1, checked on the server, not by hiding buttons); enforcement
 * without auto-enable is 422 `invalid_policy` (rule 3); out-of-range numbers are 400.
 */
export function applyPolicyPatch(current: PasswordPolicy, patch: PolicyPatch, plan: Plan): PasswordPolicy {
  const next: PasswordPolicy = {
    twoFactor: { ...current.twoFactor, ...patch.twoFactor },
    password: { ...current.password, ...patch.password },
  };
  if (plan !== 'enterprise') {
    const turnsOn = <T>(value: T | undefined, was: T) => value !== undefined && value !== null && value !== false && value !== was;
    const wantsEnterprise =
      turnsOn(patch.twoFactor?.autoEnable, current.twoFactor.autoEnable) ||
      turnsOn(patch.twoFactor?.enforceSetup, current.twoFactor.enforceSetup) ||
      turnsOn(patch.twoFactor?.enforceFrom?.getTime(), current.twoFactor.enforceFrom?.getTime()) ||
      turnsOn(patch.twoFactor?.maxPostpones, current.twoFactor.maxPostpones) ||
      turnsOn(patch.password?.maxAgeDays, current.password.maxAgeDays);
    if (wantsEnterprise) {
      throw new DomainError('plan_required', 'Auto-enable, enforced setup and password rotation need the Enterprise plan.');
    }
  }
  if (!next.twoFactor.enforceSetup) {
    // The deadline and the postponement limit are part of enforcement (rule 3): without it they
    // would be stored and silently ignored, so asking for them is an invalid policy.
    const asked = (value: unknown) => value !== undefined && value !== null;
    if (asked(patch.twoFactor?.enforceFrom) || asked(patch.twoFactor?.maxPostpones)) {
      throw new DomainError('invalid_policy', 'A deadline or a postponement limit needs "Enforce setup".', {
        field: 'twoFactor.enforceSetup',
      });
    }
    next.twoFactor.enforceFrom = null;
    next.twoFactor.maxPostpones = null;
  }
  if (next.twoFactor.enforceSetup && !next.twoFactor.autoEnable) {
    throw new DomainError('invalid_policy', 'Enforce setup only works together with auto-enable.', { field: 'twoFactor.enforceSetup' });
  }
  checkRange('password.minLength', next.password.minLength, POLICY_LIMITS.minLength);
  checkRange('password.historyCount', next.password.historyCount, POLICY_LIMITS.historyCount);
  if (next.password.maxAgeDays !== null) checkRange('password.maxAgeDays', next.password.maxAgeDays, POLICY_LIMITS.maxAgeDays);
  if (next.password.warnDays !== null) {
    checkRange('password.warnDays', next.password.warnDays, POLICY_LIMITS.warnDays);
    if (next.password.maxAgeDays !== null && next.password.warnDays >= next.password.maxAgeDays) {
      throw new DomainError('invalid_policy', 'Warn fewer days before expiry than the password lasts.', { field: 'password.warnDays' });
    }
  }
  if (next.twoFactor.maxPostpones !== null) checkRange('twoFactor.maxPostpones', next.twoFactor.maxPostpones, POLICY_LIMITS.maxPostpones);
  return next;
}

function checkRange(field: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalidInput(field, `Use a whole number from ${range.min} to ${range.max}.`);
  }
}
