import type { NewAuditEvent } from '../audit/audit-event.ts';
/** Single-use links (invitation, password reset) and administrator recovery codes: only the SHA-256 of each is stored. */
export type AccountTokenPurpose = 'invitation' | 'reset' | 'recovery';

export interface AccountTokenStore {
  /**
   * Stores a token for the user, replacing their earlier unused tokens of the same purpose; false
   * (nothing stored) when one was issued after `notIfIssuedAfter` (a flood of mails to one person).
   */
  issue(userId: string, purpose: AccountTokenPurpose, tokenHash: string, now: Date, expiresAt: Date, notIfIssuedAfter?: Date): Promise<boolean>;
  /** The user the token belongs to, when it exists, is unused and unexpired; null otherwise. */
  find(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<{ instanceId: string; userId: string } | null>;
  /** When the user's unused, unexpired token of this purpose expires; null when they have none. */
  activeUntil(userId: string, purpose: AccountTokenPurpose, now: Date): Promise<Date | null>;
}

/** The password write that uses a token: one statement, and false when the token was used meanwhile. */
export interface TokenPasswordStore {
  /**
   * Marks the token used and sets the password, in one statement that also ends every session and
   * known location of the user. Never touches 2FA (SPEC rule 13). With `recoveryHash`, the
   * administrator's recovery code of the same user is used up in the same statement, and nothing
   * happens unless both are still unused and unexpired.
   */
  setPasswordWithToken(tokenHash: string, userId: string, passwordHash: string, now: Date, audit: NewAuditEvent[], recoveryHash?: string): Promise<boolean>;
}
