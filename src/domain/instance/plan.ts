import { DEFAULT_KNOWN_LOCATION_SETTINGS, type KnownLocationSettings, type Plan } from './instance.ts';
import type { PasswordPolicy } from '../policy/policy.ts';

/**
 * What each plan allows (docs/plans.md). Professional: 2FA per user, the password rules every
 * plan has, trusted browsers as shipped (30 days, same network). Business adds the trusted-browser
 * settings (how long, whether a network change asks again). Enterprise adds auto-enable, enforced
 * setup (deadline, postponement limit) and password rotation (SPEC rule 1).
 */
export const PLAN_FEATURES: Record<Plan, { knownLocationSettings: boolean; enterpriseRules: boolean }> = {
  professional: { knownLocationSettings: false, enterpriseRules: false },
  business: { knownLocationSettings: true, enterpriseRules: false },
  enterprise: { knownLocationSettings: true, enterpriseRules: true },
};

/**
 * The policy an instance keeps on `plan`: moving below Enterprise turns auto-enable, enforced
 * setup (with its deadline and postponement limit) and rotation off, as an administrator turning
 * them off would (SPEC rule 2: each user's own switch decides again; an app set up stays, since
 * confirming one turned that user's own switch on). Nothing is kept dormant to come back later:
 * an upgrade starts from these values and the administrator chooses again.
 */
export function policyForPlan(policy: PasswordPolicy, plan: Plan): PasswordPolicy {
  if (PLAN_FEATURES[plan].enterpriseRules) return policy;
  return {
    twoFactor: { ...policy.twoFactor, autoEnable: false, enforceSetup: false, enforceFrom: null, maxPostpones: null },
    password: { ...policy.password, maxAgeDays: null, warnDays: null },
  };
}

/** The trusted-browser settings on `plan`: Professional's are the shipped defaults. */
export function knownLocationsForPlan(settings: KnownLocationSettings, plan: Plan): KnownLocationSettings {
  return PLAN_FEATURES[plan].knownLocationSettings ? settings : { ...DEFAULT_KNOWN_LOCATION_SETTINGS };
}
