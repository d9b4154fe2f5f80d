/**
 * One lockout model for every factor (SPEC rule 11). Failures are counted per key: the password
 * of (instance, email), the second factor (TOTP and backup code together) of a user, and the
 * client's IP address. A lock is derived from the count and the time of the last failure, so it
 * ends by itself; attempts made while locked are refused unevaluated and not counted.
 */
export interface ThrottlePolicy {
  /** The first failure that locks. */
  lockFrom: number;
  baseLockSeconds: number;
  maxLockSeconds: number;
  /** NIST SP 800-63B §3.2.2: at most 100 consecutive failures; then locked until an administrator acts. */
  hardLimit: number | null;
  /** null: never forgets (counts failures "in a row" until a success); else forgets after quiet seconds. */
  decaySeconds: number | null;
}

/** Per account and factor: 4 free failures, then 1, 2, 4 … 60 minutes, and a hard stop at 100. */
export const ACCOUNT_POLICY: ThrottlePolicy = { lockFrom: 5, baseLockSeconds: 60, maxLockSeconds: 3600, hardLimit: 100, decaySeconds: null };
/** Per IP address across all accounts (credential stuffing, spraying): looser, and it forgets. */
export const IP_POLICY: ThrottlePolicy = { lockFrom: 50, baseLockSeconds: 60, maxLockSeconds: 3600, hardLimit: null, decaySeconds: 3600 };

export interface ThrottleState {
  failures: number;
  lastFailureAt: Date;
}

export type Factor = 'password' | 'second_factor';

/** The password key names the (instance, email) pair, so unknown accounts have one too. */
export const PASSWORD_KEY_PREFIX = 'pw:';
export const passwordKey = (instanceSlug: string, emailKey: string) => `${PASSWORD_KEY_PREFIX}${instanceSlug}:${emailKey}`;
/** User ids are unique across instances, so the user id alone names the key. */
export const SECOND_FACTOR_KEY_PREFIX = '2fa:';
export const secondFactorKey = (userId: string) => `${SECOND_FACTOR_KEY_PREFIX}${userId}`;
export const ipKey = (ip: string) => `ip:${ip}`;
/** Support operators: their password key names no instance ('#' is never in a slug), their second-factor key their id. */
export const operatorPasswordKey = (emailKey: string) => `${PASSWORD_KEY_PREFIX}#support:${emailKey}`;
export const OPERATOR_SECOND_FACTOR_PREFIX = '2fa:op:';
export const operatorSecondFactorKey = (operatorId: string) => `${OPERATOR_SECOND_FACTOR_PREFIX}${operatorId}`;

/** How long the lock after `failures` failures lasts, in seconds (Infinity past the hard limit). */
export function lockSeconds(failures: number, policy: ThrottlePolicy): number {
  if (policy.hardLimit !== null && failures >= policy.hardLimit) return Infinity;
  if (failures < policy.lockFrom) return 0;
  return Math.min(policy.maxLockSeconds, policy.baseLockSeconds * 2 ** (failures - policy.lockFrom));
}

/** Seconds until the key may try again; 0 when it may try now. */
export function retryAfterSeconds(state: ThrottleState | null, now: Date, policy: ThrottlePolicy): number {
  if (!state) return 0;
  const quietSeconds = (now.getTime() - state.lastFailureAt.getTime()) / 1000;
  if (policy.decaySeconds !== null && quietSeconds >= policy.decaySeconds) return 0;
  const remaining = lockSeconds(state.failures, policy) - quietSeconds;
  return remaining > 0 ? Math.ceil(remaining) : 0;
}

/** true when this failure count is the one that started a lock worth telling the user about. */
export function isNotableLock(failures: number, policy: ThrottlePolicy): boolean {
  return failures === policy.lockFrom || failures === policy.hardLimit;
}
