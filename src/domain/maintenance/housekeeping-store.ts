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
}
