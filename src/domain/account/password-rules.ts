import { DomainError } from '../shared/errors.ts';
import type { PasswordPolicy } from '../policy/policy.ts';
import { isTwoFactorEnabled, setupDemand } from '../policy/two-factor-rules.ts';
import type { User } from './user.ts';

/** NIST SP 800-63B §3.1.1.2: verifiers SHOULD permit at least 64 characters. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * NIST SP 800-63B: length is what counts; no composition rules, no truncation. Passwords are
 * NFKC-normalised so the same text typed on two keyboards is the same password; nothing is trimmed.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Counts characters as people do (code points), not UTF-16 units. */
export function passwordLength(password: string): number {
  return [...normalizePassword(password)].length;
}

/** Length within the policy's minimum (DEFAULT_POLICY holds the default) and NIST's maximum; normalised. */
export function checkNewPassword(password: string, minLength: number, field: string): string {
  const length = passwordLength(password);
  if (length < minLength) {
    throw new DomainError('weak_password', `Use at least ${minLength} characters.`, { field });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new DomainError('weak_password', `Use at most ${MAX_PASSWORD_LENGTH} characters.`, { field });
  }
  return normalizePassword(password);
}

/** Common and breached passwords (NIST SP 800-63B §3.1.1.2: compare against a blocklist). */
export interface PasswordBlocklist {
  /** Case-insensitive. */
  contains(password: string): boolean;
}

/**
 * A new password under an instance's rules: length (the policy's minimum), not on the blocklist,
 * not the email, the name or the instance (context-specific words, PW-05). No composition rules.
 */
export function checkPasswordForAccount(
  password: string,
  rules: { minLength: number; blocklist: PasswordBlocklist; context: string[] },
  field = 'newPassword',
): string {
  const normalized = checkNewPassword(password, rules.minLength, field);
  const lower = normalized.toLowerCase();
  const contextual = rules.context.map((word) => word.trim().toLowerCase()).filter((word) => word.length >= 4);
  if (
    rules.blocklist.contains(normalized) ||
    contextual.some((word) => lower === word || lower.replace(/[^a-z0-9]/g, '') === word.replace(/[^a-z0-9]/g, ''))
  ) {
    throw new DomainError('weak_password', 'This password is too common or too easy to guess. Choose another.', { field });
  }
  return normalized;
}

/**
 * Whether a new (normalised) password is one of the stored hashes: the current one and the
 * history. Why every hash is verified: the history is argon2id too, so reuse is found only so.
 */
export async function isReusedPassword(
  hasher: { verify(hash: string, password: string): Promise<boolean> },
  hashes: Array<string | null | undefined>,
  password: string,
): Promise<boolean> {
  for (const hash of hashes) if (hash && (await hasher.verify(hash, password))) return true;
  return false;
}

/** NIST SP 800-63B-4 §3.1.1.2 (checklist D5, PW-01): a password used as a single factor has at least 15 characters. */
export const SINGLE_FACTOR_MIN_LENGTH = 15;

/** What decides whether an account's password is its only factor. */
export interface AccountFactors {
  user: Pick<User, 'twoFactorEnabled' | 'setupPostponements'>;
  associated: boolean;
}

/** A new account: no app, its own switch off (what create, import and invitations make). */
export const NEW_ACCOUNT: AccountFactors = { user: { twoFactorEnabled: false, setupPostponements: 0 }, associated: false };

/**
 * The effective minimum length for an account's new password. Why: the policy's minimum (12 by
 * default) is enough only where the password is never the single factor (NIST SP 800-63B-4
 * §3.1.1.2 allows 8 there): 2FA is active, or setup is required before any full session.
 * Otherwise (2FA off, or setup that may be postponed) at least 15.
 */
export function minPasswordLength(policy: PasswordPolicy, account: AccountFactors, now: Date): number {
  const enabled = isTwoFactorEnabled(policy, account.user);
  const multiFactor = enabled && (account.associated || !setupDemand(policy, account.user.setupPostponements, now).canPostpone);
  return multiFactor ? policy.password.minLength : Math.max(SINGLE_FACTOR_MIN_LENGTH, policy.password.minLength);
}
