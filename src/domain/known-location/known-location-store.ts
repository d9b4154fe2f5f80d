import type { KnownLocation } from './known-location.ts';

/** Known locations of one instance's users. */
export interface KnownLocationStore {
  /** The user's unexpired known locations, most recently used first. */
  listForUser(userId: string, now: Date): Promise<KnownLocation[]>;
  /** false when the user has no such location (another user's id included). */
  delete(userId: string, id: string): Promise<boolean>;
  /** Returns how many were deleted. */
  deleteAllForUser(userId: string): Promise<number>;
}
