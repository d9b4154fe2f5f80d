import { invalidInput } from '../shared/errors.ts';

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];
export type UserStatus = 'active' | 'disabled';

export interface User {
  id: string;
  instanceId: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  twoFactorEnabled: boolean;
  passwordChangedAt: Date | null;
  createdAt: Date;
  /** How often the user postponed setting up 2FA at login. */
  setupPostponements: number;
}

/** A user with the password hash, only ever read by the login and password use-cases. */
export interface UserCredentials extends User {
  passwordHash: string | null;
}

// Deliberately permissive (RFC 5321 allows much); one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

export function parseEmail(raw: string, field = 'email'): string {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw invalidInput(field, 'Enter a valid email address.');
  return email;
}

/** The case-insensitive login key: emails are unique per instance regardless of case (SPEC §1). */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

export function parseRole(raw: string, field = 'role'): Role {
  if (!(ROLES as readonly string[]).includes(raw)) throw invalidInput(field, `Role must be one of ${ROLES.join(', ')}.`);
  return raw as Role;
}

export function parsePersonName(raw: string, field = 'name'): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 200) throw invalidInput(field, 'Name must be 1–200 characters.');
  return name;
}
