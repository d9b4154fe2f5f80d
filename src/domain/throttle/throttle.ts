import { isIPv4, isIPv6 } from 'node:net';
import { expandIPv6 } from '../known-location/known-location.ts';
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
export const ACCOUNT_POLICY: ThrottlePolicy = {
  lockFrom: 5,
  baseLockSeconds: 60,
  maxLockSeconds: 3600,
  hardLimit: 100,
  decaySeconds: null,
};
/** Per IP address across all accounts (credential stuffing, spraying): looser, and it forgets. */
export const IP_POLICY: ThrottlePolicy = { lockFrom: 50, baseLockSeconds: 60, maxLockSeconds: 3600, hardLimit: null, decaySeconds: 3600 };

export interface ThrottleState {
  failures: number;
  lastFailureAt: Date;
}

export type Factor = 'password' | 'second_factor';

/**
 * What a counter counts: the table's key columns (scope, instance slug, subject), never one
 * concatenated string. The instance slug is set only for the password scope, whose key names the
 * (instance, email) pair as typed, so unknown instances and accounts have a key too (RL-07), and
 * for the oidc_client scope, whose key names (the issuer's instance, the client id as sent).
 */
export type ThrottleScope =
  'password' | 'second_factor' | 'address' | 'device' | 'reauth' | 'link' | 'operator_password' | 'operator_second_factor' | 'oidc_client';

export interface ThrottleKeyParts {
  readonly scope: ThrottleScope;
  readonly instanceSlug: string | null;
  readonly subject: string;
}

declare const builtByConstructor: unique symbol;
/** A throttle key, built only by the named constructors below (the brand keeps out object literals). */
export type ThrottleKey = ThrottleKeyParts & { readonly [builtByConstructor]: true };

const throttleKey = (scope: ThrottleScope, subject: string, instanceSlug: string | null = null): ThrottleKey =>
  Object.freeze({ scope, instanceSlug, subject }) as ThrottleKey;

export const sameThrottleKey = (a: ThrottleKeyParts, b: ThrottleKeyParts): boolean =>
  a.scope === b.scope && a.instanceSlug === b.instanceSlug && a.subject === b.subject;

/** Values found by throttle key (the states a lookup read, the counts a failure wrote). */
export interface ThrottleMap<T> {
  get(key: ThrottleKeyParts): T | undefined;
  readonly size: number;
}

export function throttleMap<T>(entries: ReadonlyArray<readonly [ThrottleKeyParts, T]>): ThrottleMap<T> {
  return { get: (key) => entries.find(([k]) => sameThrottleKey(k, key))?.[1], size: entries.length };
}

export type ThrottleStates = ThrottleMap<ThrottleState>;

/** The password key names the (instance, email) pair, so unknown accounts have one too. */
export const passwordKey = (instanceSlug: string, emailKey: string) => throttleKey('password', emailKey, instanceSlug);
/** User ids are unique across instances, so the user id alone names the key. */
export const secondFactorKey = (userId: string) => throttleKey('second_factor', userId);
/** The client-address key (scope `address`): see clientAddressKey. */
export const ipKey = (ip: string) => throttleKey('address', clientAddressKey(ip));
/**
 * Re-authentication with the password inside a session (a factor change, a password change) counts
 * on a key of that session, not the account's: strangers' failed logins lock the account key, and
 * must not lock the owner out of the very changes they need while attacked (RL-04). A thief with the
 * session gets the same schedule and hard limit on this key, and cannot mint more sessions.
 */
export const reauthenticationKey = (sessionId: string) => throttleKey('reauth', sessionId);
/** The account's schedule; forgotten after a quiet session lifetime (the session cannot outlive it). */
export const REAUTH_POLICY: ThrottlePolicy = { ...ACCOUNT_POLICY, decaySeconds: 12 * 60 * 60 };
/**
 * A key of the browser that holds a valid known-location (or operator device) cookie: its owner's
 * attempts from it count here instead of on the account key, so strangers' failures on the account
 * do not lock the owner out on their own browser (RL-04, issue 10 item 10).
 */
export const deviceKey = (deviceId: string) => throttleKey('device', deviceId);
/** A password link (reset or invitation), by the SHA-256 of its token. */
export const linkKey = (tokenHash: string) => throttleKey('link', tokenHash);
/** Support operators: their password key names no instance, their second-factor key their id. */
export const operatorPasswordKey = (emailKey: string) => throttleKey('operator_password', emailKey);
export const operatorSecondFactorKey = (operatorId: string) => throttleKey('operator_second_factor', operatorId);

/**
 * Client authentication at an instance's token, introspection and revocation endpoints, by the
 * client id as sent (unknown ids have a key too), in the issuer's instance (docs/oidc.md,
 * "Throttling the token endpoint").
 */
export const oidcClientKey = (instanceSlug: string, clientId: string) => throttleKey('oidc_client', clientId, instanceSlug);
/**
 * Failed client authentications of one client: 9 free (a misconfigured deployment retries), then
 * 1, 2, 4 … 15 minutes, forgotten after a quiet day. Why no hard limit and a short maximum: a
 * client id is no secret, so anyone can spend a client's failures; a 256-bit secret cannot be
 * guessed anyway, the lock stops the hammering (RFC 6749 §10.10), and it must not become a
 * permanent way to cut a machine client off (lockout as a weapon, RL-04).
 */
export const OIDC_CLIENT_POLICY: ThrottlePolicy = {
  lockFrom: 10,
  baseLockSeconds: 60,
  maxLockSeconds: 15 * 60,
  hardLimit: null,
  decaySeconds: 24 * 60 * 60,
};

/**
 * What counts as one client address: an IPv4 address as it is, an IPv4-mapped IPv6 address as its
 * IPv4 address, and an IPv6 address by its /64. Why the /64: it is the smallest network one
 * subscriber gets (RFC 6177, RFC 7421), so one client can take any address in it; keyed on the
 * full address, a client rotating through its /64 had 2^64 fresh counters (issue 10 item 21).
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  const address = ip.split('%')[0]!;
  if (!isIPv6(address)) return ip;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

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
  // No lock is no wait, even when the last failure is a little "later" than now (another
  // process's clock, or a concurrent attempt that wrote after this one read its clock).
  const lock = lockSeconds(state.failures, policy);
  if (lock === 0) return 0;
  const remaining = lock - quietSeconds;
  return remaining > 0 ? Math.ceil(remaining) : 0;
}

/** true when this failure count is the one that started a lock worth telling the user about. */
export function isNotableLock(failures: number, policy: ThrottlePolicy): boolean {
  return failures === policy.lockFrom || failures === policy.hardLimit;
}
