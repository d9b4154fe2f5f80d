/** Single-use links (invitation, password reset) and administrator recovery codes: only the SHA-256 of each is stored. */
export type AccountTokenPurpose = 'invitation' | 'reset' | 'recovery';

export interface AccountTokenStore {
  /**
   * Stores a token for the user, replacing their earlier unused tokens of the same purpose, in one
   * transaction (the caller's, when it has one); false (nothing stored) when no such user. Issues
   * for one user at once take turns behind the user's row lock, so one token of the purpose stays usable.
   */
  issue(userId: string, purpose: AccountTokenPurpose, tokenHash: string, now: Date, expiresAt: Date): Promise<boolean>;
  /** When the user's newest token of this purpose (used or not) was issued; null when they have none. */
  lastIssuedAt(userId: string, purpose: AccountTokenPurpose): Promise<Date | null>;
  /** The user the token belongs to, when it exists, is unused and unexpired; null otherwise. */
  find(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<{ instanceId: string; userId: string } | null>;
  /**
   * As find, behind a share lock on the token's row (the caller's transaction holds it until it
   * ends): a spend of the token in flight (consume) is waited for, and the answer is the token as
   * that spend left it. Shared, so checks of one token do not queue behind each other.
   */
  findLocked(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<{ instanceId: string; userId: string } | null>;
  /**
   * The token whatever its state (used, expired or not), for the link page to say so when it
   * opens; null when no such token (never issued, or replaced and deleted).
   */
  inspect(
    tokenHash: string,
    purpose: AccountTokenPurpose,
  ): Promise<{ instanceId: string; userId: string; usedAt: Date | null; expiresAt: Date } | null>;
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
  /**
   * Stores one token for each of these users, in one statement, replacing nothing: only for users
   * created in the caller's transaction, who cannot have a token yet (else use issue()).
   */
  insertForNewUsers(
    tokens: ReadonlyArray<{ userId: string; tokenHash: string }>,
    purpose: AccountTokenPurpose,
    now: Date,
    expiresAt: Date,
  ): Promise<void>;
  /** Deletes the user's unused tokens of every purpose (links, invitations, recovery codes); returns how many. */
  deleteUnusedForUser(userId: string): Promise<number>;
}
