export interface HousekeepingCounts {
  sessions: number;
  knownLocations: number;
  setupTokens: number;
  sentMail: number;
  throttles: number;
}

/** Removes what can no longer matter. Never touches account throttle keys (NIST's "in a row"). */
export interface HousekeepingStore {
  deleteExpired(now: Date, sentMailBefore: Date): Promise<HousekeepingCounts>;
  /** Writes (or rewrites) each instance's 2FA counts for `day` (YYYY-MM-DD), for the adoption chart. */
  snapshotAdoption(day: string): Promise<void>;
  /**
   * Queues a reminder to every active user whose 2FA is enabled (by them or by auto-enable) with
   * no app yet, not reminded since `remindedBefore`, and existing since then (at most `limit`).
   * The mail has no secret and is the same for everyone but the instance's name and deadline.
   */
  remindPendingSetup(now: Date, remindedBefore: Date, limit: number, loginUrlPrefix: string): Promise<number>;
  /** Queues a warning to users whose password expires within the instance's warnDays (once per password). */
  warnExpiringPasswords(now: Date, limit: number, loginUrlPrefix: string): Promise<number>;
}
