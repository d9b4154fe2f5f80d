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

/** The account tokens of one instance's users, for the use-cases that spend them (password-links.ts). */
export interface TenantAccountTokenStore {
  /**
   * Marks the user's token of `purpose` used, if it is unused and unexpired: one conditional
   * UPDATE, so of concurrent uses exactly one wins. false (nothing changed) otherwise.
   */
  consume(tokenHash: string, purpose: AccountTokenPurpose, userId: string, now: Date): Promise<boolean>;
  /** Deletes the user's unused tokens of every purpose (links, invitations, recovery codes); returns how many. */
  deleteUnusedForUser(userId: string): Promise<number>;
}
