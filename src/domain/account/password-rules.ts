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
    throw new DomainError('weak_password', `Use at least ${minLength} characters.`, { field, reason: 'too_short' });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new DomainError('weak_password', `Use at most ${MAX_PASSWORD_LENGTH} characters.`, { field, reason: 'too_long' });
  }
  return normalizePassword(password);
}

/** Common and breached passwords (NIST SP 800-63B §3.1.1.2: compare against a blocklist). */
export interface PasswordBlocklist {
  /** Case-insensitive. */
  contains(password: string): boolean;
}

/** The product's own name: a context word of every account too (NIST SP 800-63B-4 §3.1.1.2: "the name of the service"). */
export const PRODUCT_WORDS = ['keyward'];

/** Letters and digits only, lower case: what is left of a password or a word once separators are gone. */
function letters(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * The context words of an account, as the parts people build passwords from: each given text
 * whole, and its words (an email's local part and domain labels, a name's words, a slug's parts).
 * Words shorter than 3 letters ("a", "de") say nothing about the account and are left out.
 */
export function contextWords(context: string[]): string[] {
  const words = new Set<string>();
  for (const text of [...context, ...PRODUCT_WORDS]) {
    for (const part of [text, ...text.split(/[^\p{L}\p{N}]+/u)]) {
      const word = letters(part);
      if (word.length >= 3) words.add(word);
    }
  }
  return [...words].sort((a, b) => b.length - a.length);
}

/**
 * Whether a password is mostly made of the account's context words: once every occurrence of
 * them is taken out, at most half of its letters and digits are left, or fewer than 4 letters
 * ("Globex2026!", "alice@globex.test", "AliceAlice12345"). Why "mostly", not "contains": a
 * passphrase that happens to hold the instance's name among other words is still a strong one.
 */
export function isMostlyContext(password: string, words: string[]): boolean {
  const text = letters(password);
  if (text.length === 0) return false;
  const covered = new Array<boolean>(text.length).fill(false);
  let matched = false;
  for (const word of words) {
    for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
      matched = true;
      for (let i = at; i < at + word.length; i += 1) covered[i] = true;
    }
  }
  if (!matched) return false;
  const left = [...text].filter((_, i) => !covered[i]);
  const leftLetters = left.filter((c) => /\p{L}/u.test(c)).length;
  return left.length * 2 <= text.length || leftLetters < 4;
}

/**
 * A new password under an instance's rules: length (the policy's minimum), not on the blocklist,
 * not mostly the email, the name, the instance or the product (context-specific words: NIST SP
 * 800-63B-4 §3.1.1.2, PW-05). No composition rules. Both refusals are `weak_password` (the fixed
 * code); a context refusal also carries the reason `context_words`, and its message says why.
 */
export function checkPasswordForAccount(
  password: string,
  rules: { minLength: number; blocklist: PasswordBlocklist; context: string[] },
  field = 'newPassword',
): string {
  const normalized = checkNewPassword(password, rules.minLength, field);
  if (isMostlyContext(normalized, contextWords(rules.context))) {
    throw new DomainError(
      'weak_password',
      'This password is mostly your name, your email address or the name of your organisation. Choose one that is not about you.',
      { field, reason: 'context_words' },
    );
  }
  if (rules.blocklist.contains(normalized)) {
    throw new DomainError('weak_password', 'This password is too common or too easy to guess. Choose another.', {
      field,
      reason: 'common',
    });
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
