import type { ThrottleKey, ThrottleStates } from '../throttle/throttle.ts';
import type { NewAuditEvent } from '../audit/audit-event.ts';
import type { PresentedLocation } from '../known-location/known-location.ts';
import type { ActiveAuthSession, AuthSession, AuthSessionStore } from '../auth/auth-session-store.ts';
import type { NewAuthSession } from '../auth/new-session.ts';
import type { MatchedCode } from '../auth/match-code.ts';

export interface Operator {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

/** Where an operator's login stands: 2FA is always required, so there is no password-only session. */
export type OperatorStage = 'verify' | 'setup' | 'done';

export interface OperatorSession extends AuthSession<OperatorStage> {
  operatorId: string;
}

export interface NewOperatorSession extends NewAuthSession<OperatorStage> {
  operatorId: string;
}

/** An operator session with what every support request decides on, from one statement. */
export interface ActiveOperatorSession extends ActiveAuthSession<OperatorSession> {
  operator: Operator;
}

/** A device token of an operator's browser: only a SHA-256 of its secret is stored. */
export interface NewOperatorDevice {
  id: string;
  secretHash: string;
  expiresAt: Date;
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
  ): Promise<{
    operator: (Operator & { passwordHash: string; associated: boolean }) | null;
    throttles: ThrottleStates;
    devices: PresentedLocation[];
  }>;
  /**
   * Removes the operator's app and sessions (the CLI, for an operator who lost their device), in a
   * transaction that locks the operator's row first.
   */
  resetTotp(email: string): Promise<Operator | null>;
  /** Every operator by email, with whether their app is set up and when they were disabled (null: active). */
  list(): Promise<Array<Operator & { associated: boolean; disabledAt: Date | null }>>;
  /**
   * Disables the operator (their row stays, for the audit log) and ends their sessions and
   * device tokens, in one transaction that locks the operator's row first (as resetTotp). null
   * when there is no such operator; an operator disabled already stays as they were.
   */
  disable(email: string, now: Date): Promise<(Operator & { disabledAt: Date }) | null>;
}

/**
 * Operators' sessions (`operator_sessions`): the kernel's session port (AuthSessionStore, whose
 * lookup also reads the operator's app and, for login steps, their second-factor and IP throttle
 * states) and the writes of the operator's login steps.
 */
export interface OperatorSessionStore extends AuthSessionStore<ActiveOperatorSession> {
  /** Ends `previous` (when its hash matches) and stores `next`, clearing `clearKeys` and writing `audit`, in one statement. */
  rotate(
    previous: { id: string; secretHash: string } | null,
    next: NewOperatorSession,
    effects: { clearKeys: ThrottleKey[]; audit: NewAuditEvent[] },
  ): Promise<void>;
  /**
   * Records `code.step` as used if newer than the last one and the operator's app is still the one
   * of `code.secretSealed`, and only then swaps the session, clears the keys and writes the audit;
   * `used` false (nothing changed) for a step already used (replay) or an app reset meanwhile.
   * Takes the operator's row first, as the CLI reset and the enrolment do: a session it makes
   * never outlives a reset app.
   */
  consumeStep(
    operatorId: string,
    code: MatchedCode,
    swap: { previousId: string; next: NewOperatorSession },
    /**
     * `device`: a device token of this browser stored with the success (a login, not a step-up),
     * unless one of `unlessHeld` (the device ids the browser presented) is already a live device
     * of the operator: a browser keeps one token instead of gaining one per login.
     */
    effects: { clearKeys: ThrottleKey[]; audit: NewAuditEvent[]; device?: NewOperatorDevice; unlessHeld?: string[] },
  ): Promise<{ used: boolean; deviceStored: boolean }>;
  /**
   * Makes the sealed secret the operator's app with `step` used, ends their other sessions and
   * swaps this one, in one statement, only while the session `swap` ends still exists (a CLI reset
   * that ended it meanwhile wins, as for users). false (nothing changed) when that session is
   * gone or the operator already has an app (a second enrolment goes through the CLI, never
   * through a password-only session).
   */
  confirmEnrolment(
    operatorId: string,
    secretSealed: string,
    step: number,
    swap: { previousId: string; next: NewOperatorSession },
    audit: NewAuditEvent[],
    /** A device token of this browser, stored with the success. */
    device?: NewOperatorDevice,
  ): Promise<boolean>;
}
