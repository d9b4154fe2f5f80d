/** One-time first-run links: only the SHA-256 of the token is stored. */
export interface SetupTokenStore {
  /** Replaces every earlier token by this one (only the newest printed link works). */
  replace(tokenHash: string, expiresAt: Date): Promise<void>;
  /** Marks the token used in one conditional UPDATE; false when unknown, used or expired. */
  consume(tokenHash: string, now: Date): Promise<boolean>;
}
