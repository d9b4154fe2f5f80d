import type { Deps } from '../shared/deps.ts';
import { addSeconds } from '../shared/clock.ts';
import type { HousekeepingCounts } from './housekeeping-store.ts';

/** Sent mail is kept 30 days (for admins' delivery questions), then deleted. */
export const SENT_MAIL_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** Deletes expired sessions, known locations and setup links, old sent mail, and forgotten IP counters. */
export function cleanUp(deps: Deps): Promise<HousekeepingCounts> {
  const now = deps.clock.now();
  return deps.stores.housekeeping.deleteExpired(now, addSeconds(now, -SENT_MAIL_RETENTION_SECONDS));
}
