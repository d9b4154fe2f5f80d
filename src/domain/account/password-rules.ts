import { DomainError } from '../shared/errors.ts';

export const DEFAULT_MIN_PASSWORD_LENGTH = 12;
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

export function checkNewPassword(password: string, minLength = DEFAULT_MIN_PASSWORD_LENGTH, field = 'password'): string {
  const length = passwordLength(password);
  if (length < minLength) {
    throw new DomainError('weak_password', `Use at least ${minLength} characters.`, { field });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new DomainError('weak_password', `Use at most ${MAX_PASSWORD_LENGTH} characters.`, { field });
  }
  return normalizePassword(password);
}
