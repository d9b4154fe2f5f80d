import { invalidInput } from '../shared/errors.ts';
import { hasControlCharacter } from '../shared/text.ts';

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

/**
 * A plain addr-spec only: a dot-atom local part and a domain of labels (RFC 5322 §3.4.1, with the
 * UTF-8 letters of RFC 6531). Why so strict: quoted parts, comments, spaces, display names and
 * `x<redirect@evil.test>` are parsed differently by different mail software, so the account's
 * address and the mailbox its mail reaches could differ (issue 10 item 19; OWASP ASVS 5.0 V2.2, input validation).
 */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\p{L}\\p{M}\\p{N}]+";
const LABEL = '[\\p{L}\\p{M}\\p{N}](?:[\\p{L}\\p{M}\\p{N}-]{0,61}[\\p{L}\\p{M}\\p{N}])?';
const ADDR_SPEC = new RegExp(`^(?=[^@]{1,64}@)${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`, 'u');

/** Trimmed and in Unicode NFC, so one address has one spelling (the two `zoë`s are one account). */
export function parseEmail(raw: string, field = 'email'): string {
  const email = raw.trim().normalize('NFC');
  if (email.length > 254 || !ADDR_SPEC.test(email)) throw invalidInput(field, 'Enter a plain email address, like name@example.com.');
  return email;
}

/** The case-insensitive login key: emails are unique per instance regardless of case (SPEC §1), in NFC. */
export function emailKey(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export function parseRole(raw: string, field = 'role'): Role {
  if (!(ROLES as readonly string[]).includes(raw)) throw invalidInput(field, `Role must be one of ${ROLES.join(', ')}.`);
  return raw as Role;
}

export function parsePersonName(raw: string, field = 'name'): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 200) throw invalidInput(field, 'Name must be 1–200 characters.');
  if (hasControlCharacter(name)) throw invalidInput(field, 'A name cannot contain line breaks, tabs or other control characters.');
  return name;
}
