import type { Instance } from '../instance/instance.ts';
import type { User } from '../account/user.ts';
import type { LoginStage, Session } from './session.ts';

export interface ActiveSession {
  session: Session;
  secretHash: string;
  user: User;
  instance: Instance;
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
}

/** Sessions looked up by id: the instance comes from the session, never from the client (TEN-02). */
export interface SessionStore {
  /**
   * The session with its user and instance, in one statement, when it exists, is neither past
   * `expires_at` nor idle since before `idleCutoff`, and its user is active; null otherwise.
   * Refreshes last_seen_at when it is older than `touchBefore` and the secret hash matches
   * (the caller still compares the returned hash in constant time).
   */
  findActive(id: string, secretHash: string, now: Date, idleCutoff: Date, touchBefore: Date): Promise<ActiveSession | null>;
  /** Deletes the session when id and secret hash match; a missing one is not an error. */
  delete(id: string, secretHash: string): Promise<void>;
}

/** Sessions of one instance. */
export interface TenantSessionStore {
  /** Ends `previousId` (when given, and only if it belongs to this instance) and stores `next`. */
  rotate(previousId: string | null, next: NewSession): Promise<void>;
  /** Ends every session of the user except `exceptId`. */
  deleteForUser(userId: string, exceptId?: string): Promise<number>;
}
