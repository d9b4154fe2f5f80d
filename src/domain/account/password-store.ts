import type { NewAuditEvent } from '../audit/audit-event.ts';
import type { SessionSwap } from '../totp/two-factor-store.ts';

/** Passwords of one instance's users. */
export interface PasswordStore {
  /** The current hash and the last `historyCount` previous hashes, newest first; null when no such user. */
  findHashes(userId: string, historyCount: number): Promise<{ current: string | null; previous: string[] } | null>;
  /**
   * Sets a new password in one statement: the old hash goes to the history (of which the newest
   * `keepHistory` stay), every session, known location and unused reset link or invitation of the user ends, and `swap.next` is
   * the one session left (SPEC rule 12: a password change ends the other sessions and locations).
   */
  change(userId: string, newHash: string, keepHistory: number, swap: SessionSwap, now: Date, audit: NewAuditEvent[]): Promise<boolean>;
}
