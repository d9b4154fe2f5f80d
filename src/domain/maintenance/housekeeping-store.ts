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
}
