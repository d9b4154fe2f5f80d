import type { Instance } from '../instance/instance.ts';
import type { User } from '../account/user.ts';
import type { LoginStage, SecondFactorKind, Session } from './session.ts';
import type { ThrottleKey, ThrottleStates } from '../throttle/throttle.ts';
import type { AuditClient, NewAuditEvent } from '../audit/audit-event.ts';
import type { ActiveAuthSession, AuthSessionStore } from '../auth/auth-session-store.ts';

export interface ActiveSession extends ActiveAuthSession<Session> {
  session: Session;
  /**
   * Set when the instance's current policy holds this session at `setup` (authenticate.ts): the
   * stage it really has. Such a session is no fresh login, so binding an app asks for the password.
   */
  heldFrom?: 'done' | 'change_password';
  secretHash: string;
  user: User;
  instance: Instance;
  /** The user's confirmed authenticator, or null when none is associated. */
  totp: { secretSealed: string; lastUsedStep: number } | null;
  /** The MAC of the user's active backup code, or null. */
  /** Read only by the lookups of login steps (findActive with `throttles`); null otherwise. */
  backupCodeMac: string | null;
  /** Throttle states for the keys asked for (absent key: no failures). */
  throttles: ThrottleStates;
  /** The user's full sessions, this one first; read only when findActive is asked to (`list`). */
  userSessions?: ListedSession[];
}

/** One of a user's full sessions as its owner sees it: no id, secret or hash of the cookie. */
export interface ListedSession {
  /** sessionHandle(id): a public name for the session that no cookie contains. */
  handle: string;
  /** The session the lookup was made with. */
  current: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  secondFactorAt: Date | null;
}

export interface NewSession {
  id: string;
  secretHash: string;
  userId: string;
  stage: LoginStage;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  secondFactorAt: Date | null;
  /** Which factor `secondFactorAt` is about; absent or null with none. */
  secondFactorKind?: SecondFactorKind | null;
  /** When the login behind it finished (`auth_time`); absent: now (lastSeenAt). A step-up keeps its session's. */
  createdAt?: Date;
}

/**
 * Users' sessions looked up by id: the kernel's session port (domain/auth/auth-session-store.ts)
 * over `sessions`; the instance comes from the session, never from the client (TEN-02).
 */
export interface SessionStore extends AuthSessionStore<ActiveSession> {
  /**
   * The session with its user and instance, in one statement, when it exists, is neither past
   * `expires_at` nor idle since before `idleCutoff`, and its user is active; null otherwise.
   * Refreshes last_seen_at when it is older than `touchBefore` and the secret hash matches
   * (the caller still compares the returned hash in constant time).
   */
  findActive(
    id: string,
    secretHash: string,
    times: { now: Date; idleCutoff: Date; touchBefore: Date },
    /** When given, also the states of the user's second-factor and password keys and of `ipKey` (login steps). */
    throttles?: { ipKey: ThrottleKey | null },
    /** When given, also up to `sessions` of the user's unexpired, not idle full sessions (userSessions), in the same statement. */
    list?: { sessions: number },
  ): Promise<ActiveSession | null>;
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
  /**
   * A logout: deletes the session when id and secret hash match and, in the same statement, when
   * it was live (before its end and not idle at `record.at`/`record.idleCutoff`), records
   * `session.logged_out` by its user about themselves with `record`'s client and details. The
   * actor and target labels are the user's `personLabel`, built by the statement from the user's
   * row. A missing session is not an error and records nothing.
   */
  logOut(id: string, secretHash: string, record: LogoutRecord): Promise<void>;
}

/** What the `session.logged_out` event of a logout holds besides its user. */
export interface LogoutRecord {
  at: Date;
  idleCutoff: Date;
  /** As `recordedClient` leaves it. */
  client: AuditClient;
  details: Record<string, unknown>;
}

/** Sessions of one instance. */
export interface TenantSessionStore {
  /**
   * Ends `previous` (when given, its secret hash matches, and it belongs to this instance) and stores `next`, in
   * one statement that also deletes the throttle keys `clearKeys` (a success) and refreshes the
   * known location `touchLocationId`.
   */
  rotate(
    previous: { id: string; secretHash: string } | null,
    next: NewSession,
    effects?: { clearKeys?: ThrottleKey[]; touchLocationId?: string; audit?: NewAuditEvent[]; requirePrevious?: boolean },
  ): Promise<boolean>;
  /** Ends every session of the user except `exceptId`. */
  deleteForUser(userId: string, exceptId?: string): Promise<number>;
  /**
   * Ends the user's session whose sessionHandle is `handle`; null when the user has none (another
   * user's handle, another instance's, an unknown one). Returns what the audit event names.
   */
  deleteByHandle(userId: string, handle: string): Promise<{ id: string; ip: string | null; userAgent: string | null } | null>;
}
