import type { User } from './user.ts';
import type { Instance } from '../instance/instance.ts';

export interface NewUser {
  id: string;
  email: string;
  name: string;
  role: User['role'];
  passwordHash: string | null;
  passwordChangedAt: Date | null;
}

/** The users of one instance; every method is already filtered by that instance. */
export interface UserStore {
  /** null when the instance has no user with that email (any case). */
  findByEmail(email: string): Promise<User | null>;
  /** null when the instance has no such user. */
  findById(id: string): Promise<User | null>;
  /** Whether the user has chosen a password (false: invited, not yet accepted); null when no such user. */
  hasPassword(id: string): Promise<boolean | null>;
  /** Throws DomainError('conflict') when the email is taken in this instance (any case). */
  insert(user: NewUser): Promise<User>;
  /** The user with their instance, authenticator and backup code (for links that act without a session). */
  findAccount(id: string): Promise<{
    user: User;
    instance: Instance;
    totp: { secretSealed: string; lastUsedStep: number } | null;
    backupCodeMac: string | null;
  } | null>;
  /**
   * Changes role, status, name and/or email; disabling ends the user's sessions. null when no such
   * user; DomainError('email_taken') when another user of the instance has the email (any case).
   * `invited`: the user has no password yet.
   */
  update(
    id: string,
    change: { role?: User['role']; status?: User['status']; name?: string; email?: string },
  ): Promise<(User & { invited: boolean }) | null>;
  /**
   * Deletes the user: their sessions first (whose trigger ends the OIDC state and queues the
   * back-channel logouts), then the row, with everything owned by it. false when no such user.
   */
  delete(id: string): Promise<boolean>;
  /**
   * Locks the rows of the instance's active administrators (FOR NO KEY UPDATE, in id order) until the
   * transaction ends and returns their ids: as they are once any concurrent change committed.
   * Only inside stores.transaction.
   */
  lockActiveAdmins(): Promise<string[]>;
  /**
   * Locks the user's row (FOR NO KEY UPDATE) until the transaction ends and returns the user as they are
   * once any concurrent change committed; null when the instance has no such user. The cold paths
   * (reset, disable, password change, links) and the enrolment take this lock first, so the
   * credential changes of one user happen one after another (SES-07). Only inside stores.transaction.
   */
  lockById(id: string): Promise<User | null>;
  /**
   * Adds one to the user's postponed setups while they are fewer than `limit` (null: no limit):
   * one conditional UPDATE, so parallel postponements cannot pass the limit. false: not counted.
   */
  countPostponement(id: string, limit: number | null): Promise<boolean>;
  /** The instance's active administrators, by email, at most `limit`. */
  listAdmins(limit: number): Promise<User[]>;
  /** Of these emails, the ones that already exist in the instance (any case), as stored. */
  findExistingEmails(emails: string[]): Promise<string[]>;
  /** Inserts the users whose email is free; returns the emails that were inserted (one statement). */
  insertMissing(users: NewUser[]): Promise<string[]>;
}
