import type { ThrottleKey, ThrottleStates } from '../throttle/throttle.ts';

/** What every principal's session has: the kernel's use-cases decide on these fields only. */
export interface AuthSession<Stage extends string = string> {
  id: string;
  stage: Stage;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** When a second factor was last verified in this session; null when none was. */
  secondFactorAt: Date | null;
  /** Which factor that was: only a TOTP code counts as fresh (session-rules.ts stepUpUntil). */
  secondFactorKind: 'totp' | 'backup_code' | null;
  /** An authenticator enrolment started by this session and not yet confirmed. */
  pendingTotp: { secretSealed: string; expiresAt: Date } | null;
}

/** A session found by its token, with what a login step of its principal decides on. */
export interface ActiveAuthSession<S extends AuthSession = AuthSession> {
  session: S;
  /** The stored SHA-256 of the token's secret; the caller compares it in constant time. */
  secretHash: string;
  /** The principal's confirmed authenticator, or null when none is associated. */
  totp: { secretSealed: string; lastUsedStep: number } | null;
  /** Throttle states for the keys asked for (absent key: no failures). */
  throttles: ThrottleStates;
}

/** The instants a session lookup is judged by (session-rules.ts lookupTimes). */
export interface SessionTimes {
  now: Date;
  idleCutoff: Date;
  touchBefore: Date;
}

/**
 * The session port of the login kernel, one per principal's tables (users' `sessions`, support
 * operators' `operator_sessions`: two SQL implementations, one contract suite over both,
 * test/storage/contracts/auth-session-store.contract.test.ts). Looked up by id: a user's instance
 * comes from the session, never from the client (TEN-02).
 */
export interface AuthSessionStore<Active extends ActiveAuthSession> {
  /**
   * The session with its principal, in one statement, when it exists, is neither past
   * `expires_at` nor idle since before `idleCutoff`, and its principal may sign in; null
   * otherwise. Refreshes last_seen_at when it is older than `touchBefore` and the secret hash
   * matches (the caller still compares the returned hash in constant time). With `throttles`,
   * also the states of the principal's second-factor key and of `ipKey` (login steps).
   */
  findActive(id: string, secretHash: string, times: SessionTimes, throttles?: { ipKey: ThrottleKey | null }): Promise<Active | null>;
  /**
   * Stores `candidate` as the session's enrolment only when it holds none that is live at `now`,
   * in one conditional UPDATE, and answers the one the session holds afterwards (the earlier one
   * or `candidate`); null when no such session. Of concurrent calls all get the same one.
   */
  keepPendingTotp(
    id: string,
    candidate: { secretSealed: string; expiresAt: Date },
    now: Date,
  ): Promise<{ secretSealed: string; expiresAt: Date } | null>;
  /** Deletes the session when id and secret hash match; a missing one is not an error. */
  delete(id: string, secretHash: string): Promise<void>;
}
