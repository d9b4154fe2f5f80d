import type { NewSession } from '../session/session-store.ts';
import type { NewBackupCode } from '../backup-code/issue-backup-code.ts';
import type { NewAuditEvent } from '../audit/audit-event.ts';
import type { SealedMail } from '../mail/mail.ts';
import type { ThrottleKey } from '../throttle/throttle.ts';
import type { MatchedCode } from '../auth/match-code.ts';

export interface NewKnownLocation {
  id: string;
  secretHash: string;
  network: string;
  device: string;
  expiresAt: Date;
}

export interface SessionSwap {
  /** The session the client holds now; it ends in the same statement. */
  previousSessionId: string;
  next: NewSession;
}

/**
 * Second-factor writes of one instance. Each login-step method is one atomic statement, so a code
 * is used once even when two processes race (RFC 6238 §5.2, OTP-07).
 */
export interface TwoFactorStore {
  /**
   * Records `code.step` as the user's last used TOTP step only if it is newer than the last one
   * and the user's app is still the one of `code.secretSealed` (the secret the code was checked
   * against), and then swaps the session, clears `clearKeys`, stores `location` and queues
   * `mails`. false (and nothing changed) when the step was already used or the app was replaced
   * or removed meanwhile. Takes the user's row (FOR SHARE) first, before the session and the
   * credential rows: it runs wholly before or wholly after a re-enrolment or a cold path, which
   * lock that row first too, so a session it makes never outlives a replaced app (SES-07).
   */
  consumeStep(
    userId: string,
    code: MatchedCode,
    effects: {
      swap?: SessionSwap;
      clearKeys?: ThrottleKey[];
      location?: NewKnownLocation | null;
      audit?: NewAuditEvent[];
      mails?: SealedMail[];
      now: Date;
    },
  ): Promise<boolean>;
  /**
   * Makes `secretSealed` the user's authenticator (replacing any earlier one) with `step` as used,
   * turns 2FA on, ends the user's other sessions and known locations, swaps the session and stores
   * the new location. One transaction that locks the user row first: of enrolments confirmed at
   * once exactly one wins. false (nothing changed) when the session `swap` ends no longer exists
   * once the lock is held.
   */
  confirmEnrolment(
    userId: string,
    secretSealed: string,
    step: number,
    swap: SessionSwap,
    location: NewKnownLocation | null,
    backup: NewBackupCode,
    audit: NewAuditEvent[],
    now: Date,
  ): Promise<boolean>;
  /**
   * Uses the backup code whose MAC is `oldMac` and, in the same statement, stores `next` in its
   * place, queues `next.mail`, swaps the session and clears `clearKeys`. false (nothing changed)
   * when the code is no longer the active one: of concurrent uses exactly one wins (BC-03). Takes
   * the user's row first, as consumeStep does.
   */
  consumeBackupCode(
    userId: string,
    oldMac: string,
    next: NewBackupCode,
    effects: { swap?: SessionSwap; clearKeys?: ThrottleKey[]; audit?: NewAuditEvent[]; now: Date },
  ): Promise<boolean>;
  // The cold paths (reset, disable, backup-code replacement) are use-cases that run these row
  // changes inside stores.transaction, after users.lockById; the audit event and the mail are
  // written by their own stores in the same transaction.
  /** Removes the user's authenticator app; false when they had none (or no such user here). */
  deleteAuthenticator(userId: string): Promise<boolean>;
  /** Removes the user's backup code; false when they had none. */
  deleteBackupCode(userId: string): Promise<boolean>;
  /** Makes `mac` the user's backup code: any earlier one stops working. */
  replaceBackupCode(userId: string, mac: string, now: Date): Promise<void>;
  /** Turns the user's 2FA on or off (the app, if any, is left alone); false when no such user. */
  setEnabled(userId: string, enabled: boolean): Promise<boolean>;
}
