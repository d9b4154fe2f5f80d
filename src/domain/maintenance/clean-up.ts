import type { Deps } from '../shared/deps.ts';
import { addSeconds } from '../shared/clock.ts';
import type { HousekeepingCounts } from './housekeeping-store.ts';

/** Sent mail is kept 30 days (for admins' delivery questions), then deleted. */
export const SENT_MAIL_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** Deletes expired sessions, known locations and setup links, old sent mail, and forgotten IP counters. */
export async function cleanUp(deps: Deps): Promise<HousekeepingCounts> {
  const now = deps.clock.now();
  // Today's point of every instance's adoption chart, rewritten each run (the last one of a day stays).
  await deps.stores.housekeeping.snapshotAdoption(now.toISOString().slice(0, 10));
  return deps.stores.housekeeping.deleteExpired(now, addSeconds(now, -SENT_MAIL_RETENTION_SECONDS));
}
