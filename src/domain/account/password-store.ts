/** Passwords of one instance's users. */
export interface PasswordStore {
  /** The current hash and the last `historyCount` previous hashes, newest first; null when no such user. */
  findHashes(userId: string, historyCount: number): Promise<{ current: string | null; previous: string[] } | null>;
  /**
   * Makes `newHash` the user's password, changed at `now`: the old hash goes to the history, of
   * which the newest `keepHistory` stay. One transaction (the caller's, when it has one). false
   * when the instance has no such user (nothing changed). Sessions, locations and links are the
   * caller's to end (change-password.ts, signOutEverywhere).
   */
  replace(userId: string, newHash: string, now: Date, keepHistory: number): Promise<boolean>;
}
