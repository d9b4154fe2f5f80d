import type { User, UserCredentials } from './user.ts';

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
  /** Throws DomainError('conflict') when the email is taken in this instance (any case). */
  insert(user: NewUser): Promise<User>;
  /** Of these emails, the ones that already exist in the instance (any case), as stored. */
  findExistingEmails(emails: string[]): Promise<string[]>;
  /** Inserts the users whose email is free; returns the emails that were inserted (one statement). */
  insertMissing(users: NewUser[]): Promise<string[]>;
}
