import type { ThrottleKey, ThrottleStates } from '../throttle/throttle.ts';
import type { NewAuditEvent } from '../audit/audit-event.ts';
import type { PresentedLocation } from '../known-location/known-location.ts';

export interface Operator {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

/** Where an operator's login stands: 2FA is always required, so there is no password-only session. */
export type OperatorStage = 'verify' | 'setup' | 'done';

export interface OperatorSession {
  id: string;
  operatorId: string;
  stage: OperatorStage;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  secondFactorAt: Date | null;
  pendingTotp: { secretSealed: string; expiresAt: Date } | null;
}

export interface NewOperatorSession {
  id: string;
  secretHash: string;
  operatorId: string;
  stage: OperatorStage;
  createdAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  secondFactorAt: Date | null;
}

/** An operator session with what every support request decides on, from one statement. */
export interface ActiveOperatorSession {
  session: OperatorSession;
  secretHash: string;
  operator: Operator;
  totp: { secretSealed: string; lastUsedStep: number } | null;
  throttles: ThrottleStates;
}

/** Support operators live outside every instance (SPEC §1), with their own sessions. */
export interface OperatorStore {
  /** Throws DomainError('conflict') when the email is taken (any case). */
  insert(operator: { id: string; email: string; name: string; passwordHash: string }): Promise<Operator>;
  findByEmail(email: string): Promise<Operator | null>;
  /**
   * The login lookup in one statement: the operator (or null), their app, the throttle states of
   * `throttleKeys`, and the operator's unexpired device tokens among `deviceIds`.
   */
  findForLogin(
    emailKey: string,
    throttleKeys: ThrottleKey[],
    deviceIds: string[],
    now: Date,
  ): Promise<{ operator: (Operator & { passwordHash: string; associated: boolean }) | null; throttles: ThrottleStates; devices: PresentedLocation[] }>;
  /**
   * The session when it exists, is not expired or idle since before `idleCutoff`; with the
   * operator's second-factor and IP throttle states. Refreshes last_seen_at (at most once a minute).
   */
  findSession(
    id: string,
    secretHash: string,
    times: { now: Date; idleCutoff: Date; touchBefore: Date },
    ipKey: ThrottleKey | null,
  ): Promise<ActiveOperatorSession | null>;
  /** Ends `previous` (when its hash matches) and stores `next`, clearing `clearKeys` and writing `audit`, in one statement. */
  rotate(previous: { id: string; secretHash: string } | null, next: NewOperatorSession, effects: { clearKeys: ThrottleKey[]; audit: NewAuditEvent[] }): Promise<void>;
  setPendingTotp(sessionId: string, pending: { secretSealed: string; expiresAt: Date } | null): Promise<void>;
  /**
   * Records `step` as used if newer than the last one and, only then, swaps the session, clears
   * the keys and writes the audit; `used` false (nothing changed) for a step already used (replay).
   */
  consumeStep(
    operatorId: string,
    step: number,
    swap: { previousId: string; next: NewOperatorSession },
    /**
     * `device`: a device token of this browser stored with the success (a login, not a step-up),
     * unless one of `unlessHeld` (the device ids the browser presented) is already a live device
     * of the operator: a browser keeps one token instead of gaining one per login.
     */
    effects: { clearKeys: ThrottleKey[]; audit: NewAuditEvent[]; device?: { id: string; secretHash: string; expiresAt: Date }; unlessHeld?: string[] },
  ): Promise<{ used: boolean; deviceStored: boolean }>;
  /**
   * Makes the sealed secret the operator's app with `step` used, ends their other sessions and
   * swaps this one, in one statement. false when the operator already has an app (a second
   * enrolment goes through the CLI, never through a password-only session).
   */
  confirmTotp(
    operatorId: string,
    secretSealed: string,
    step: number,
    swap: { previousId: string; next: NewOperatorSession },
    audit: NewAuditEvent[],
    /** A device token of this browser, stored with the success. */
    device?: { id: string; secretHash: string; expiresAt: Date },
  ): Promise<boolean>;
  deleteSession(id: string, secretHash: string): Promise<void>;
  /** Removes the operator's app and sessions (the CLI, for an operator who lost their device). */
  resetTotp(email: string): Promise<Operator | null>;
}
