import type { NewSession } from '../session/session-store.ts';

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
 * Second-factor writes of one instance. Each method is one atomic statement, so a code is used
 * once even when two processes race (RFC 6238 §5.2, OTP-07).
 */
export interface TwoFactorStore {
  /**
   * Records `step` as the user's last used TOTP step only if it is newer than the last one, and
   * then swaps the session, clears `clearKeys` and stores `location`. false (and nothing changed)
   * when the step was already used.
   */
  consumeStep(userId: string, step: number, effects: { swap?: SessionSwap; clearKeys?: string[]; location?: NewKnownLocation | null; now: Date }): Promise<boolean>;
  /**
   * Makes `secretSealed` the user's authenticator (replacing any earlier one) with `step` as used,
   * turns 2FA on, ends the user's other sessions and known locations, swaps the session and stores
   * the new location.
   */
  confirmEnrolment(userId: string, secretSealed: string, step: number, swap: SessionSwap, location: NewKnownLocation | null, now: Date): Promise<void>;
  /** Turns 2FA on or off; turning off also removes the authenticator and known locations. */
  setEnabled(userId: string, enabled: boolean): Promise<void>;
}
