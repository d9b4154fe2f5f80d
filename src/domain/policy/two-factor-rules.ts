import type { User } from '../account/user.ts';
import type { PasswordPolicy } from './policy.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Effective 2FA: the user's own switch, or the instance's auto-enable (SPEC rule 2). */
export function isTwoFactorEnabled(policy: PasswordPolicy, user: Pick<User, 'twoFactorEnabled'>): boolean {
  return user.twoFactorEnabled || policy.twoFactor.autoEnable;
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

/** When the user's password expires under rotation; null without rotation (the default). */
export function passwordExpiresAt(policy: PasswordPolicy, passwordChangedAt: Date | null): Date | null {
  const days = policy.password.maxAgeDays;
  if (days === null || passwordChangedAt === null) return null;
  return new Date(passwordChangedAt.getTime() + days * DAY_MS);
}

export function isPasswordExpired(policy: PasswordPolicy, passwordChangedAt: Date | null, now: Date): boolean {
  const expires = passwordExpiresAt(policy, passwordChangedAt);
  return expires !== null && expires.getTime() <= now.getTime();
}
