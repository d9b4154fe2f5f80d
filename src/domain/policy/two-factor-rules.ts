import type { User } from '../account/user.ts';
import type { PasswordPolicy } from './policy.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Effective 2FA: the user's own switch, or the instance's auto-enable (SPEC rule 2). */
export function isTwoFactorEnabled(policy: PasswordPolicy, user: Pick<User, 'twoFactorEnabled'>): boolean {
  return user.twoFactorEnabled || policy.twoFactor.autoEnable;
}

export type TwoFactorStatus = 'active' | 'pending' | 'off';

/** SPEC §1: active = enabled and associated; pending = enabled, no app yet; off = not enabled. */
export function twoFactorStatus(enabled: boolean, associated: boolean): TwoFactorStatus {
  if (!enabled) return 'off';
  return associated ? 'active' : 'pending';
}

/**
 * The one home of the 2FA status of a stored (own switch, app) pair under the instance's policy:
 * the /me answer, the Users list (items, filters, counts), the adoption chart and the setup
 * reminders all derive it here. Its SQL copy (twoFactorStatusSql, storage/policy-sql.ts), for
 * the statements over every user, is pinned to it by test/storage/policy-sql.test.ts.
 */
export function effectiveTwoFactorStatus(policy: PasswordPolicy, pair: { enabled: boolean; associated: boolean }): TwoFactorStatus {
  return twoFactorStatus(isTwoFactorEnabled(policy, { twoFactorEnabled: pair.enabled }), pair.associated);
}

export interface SetupDemand {
  canPostpone: boolean;
  /** Postponements left before setup is required; absent without a limit. */
  postponesLeft?: number;
  /** When enforcement starts, if in the future. */
  enforceFrom?: string;
}

/**
 * Whether a user without an app may postpone setup now (SPEC rule 3, plus a deadline and a
 * postponement limit): enforcement that has started, or an exhausted limit, means no.
 */
export function setupDemand(policy: PasswordPolicy, postponements: number, now: Date): SetupDemand {
  const { enforceSetup, enforceFrom, maxPostpones } = policy.twoFactor;
  const enforcedNow = enforceSetup && (enforceFrom === null || enforceFrom.getTime() <= now.getTime());
  // The limit is part of enforcement: without "Enforce setup" users may postpone at every login (rule 3).
  const postponesLeft = maxPostpones === null || !enforceSetup ? undefined : Math.max(0, maxPostpones - postponements);
  return {
    canPostpone: !enforcedNow && postponesLeft !== 0,
    ...(postponesLeft !== undefined ? { postponesLeft } : {}),
    ...(enforceSetup && enforceFrom && !enforcedNow ? { enforceFrom: enforceFrom.toISOString() } : {}),
  };
}

/** How many postponements the policy allows in all; null: no limit (the limit belongs to enforcement). */
export function postponeLimit(policy: PasswordPolicy): number | null {
  return policy.twoFactor.enforceSetup ? policy.twoFactor.maxPostpones : null;
}

/**
 * Whether a user without an app must set one up before anything else, under the instance's
 * policy now (issue 10 item 6: authorisation changes apply to existing sessions at once). Yes
 * once enforcement has started, or when the user postponed more often than the limit allows now;
 * the session of the last allowed postponement keeps its rights until the deadline.
 */
export function mustSetUpNow(
  policy: PasswordPolicy,
  user: Pick<User, 'twoFactorEnabled' | 'setupPostponements'>,
  associated: boolean,
  now: Date,
): boolean {
  const { enforceSetup, enforceFrom, maxPostpones } = policy.twoFactor;
  if (associated || !enforceSetup || !isTwoFactorEnabled(policy, user)) return false;
  const started = enforceFrom === null || enforceFrom.getTime() <= now.getTime();
  return started || (maxPostpones !== null && user.setupPostponements > maxPostpones);
}

/** When the user's password expires under rotation; null without rotation (the default). */
export function passwordExpiresAt(policy: PasswordPolicy, passwordChangedAt: Date | null): Date | null {
  const days = policy.password.maxAgeDays;
  if (days === null || passwordChangedAt === null) return null;
  return new Date(passwordChangedAt.getTime() + days * DAY_MS);
}

/**
 * SPEC rule 10: when the warning of the expiry starts, `warnDays` before it; without warnDays at
 * the expiry itself (no warning ahead, as no warning mail is sent). null without rotation. The
 * one home of the rule: /me returns it (the UI warns from then on) and the warning mail's SQL
 * copy (passwordWarningFromSql) is pinned to it.
 */
export function passwordWarningFrom(policy: PasswordPolicy, passwordChangedAt: Date | null): Date | null {
  const expires = passwordExpiresAt(policy, passwordChangedAt);
  return expires && new Date(expires.getTime() - (policy.password.warnDays ?? 0) * DAY_MS);
}

export function isPasswordExpired(policy: PasswordPolicy, passwordChangedAt: Date | null, now: Date): boolean {
  const expires = passwordExpiresAt(policy, passwordChangedAt);
  return expires !== null && expires.getTime() <= now.getTime();
}
