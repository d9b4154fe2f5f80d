import { newIdSecretToken, parseIdSecretToken, secretMatches } from '../../crypto/token.ts';
import { sha256Hex } from '../../crypto/hash.ts';
import { USER_PROFILE } from '../auth/profile.ts';
import type { AuthSession } from '../auth/auth-session-store.ts';

/** The second factor a session verified: the app's code, or the emailed backup code (recovery only). */
export type SecondFactorKind = 'totp' | 'backup_code';

/** Where a login stands: only `done` is a full session (SPEC §3 login steps). */
export type LoginStage = 'done' | 'verify' | 'setup' | 'change_password';

/** A user's session: the kernel's session (domain/auth/) with its instance and user. */
export interface Session extends AuthSession<LoginStage> {
  instanceId: string;
  userId: string;
}

/** A user's lifetimes, as the user's profile holds them (domain/auth/profile.ts). */
export const SESSION_IDLE_SECONDS = USER_PROFILE.idleSeconds;
export const SESSION_ABSOLUTE_SECONDS = USER_PROFILE.fullSeconds;

/**
 * The name a session has in the user's list and in its DELETE URL: SHA-256 of a label and the id.
 * Why not the id: the id is half of the cookie, and URLs end up in logs and screenshots; a
 * one-way handle lets the owner point at a session without any part of a cookie leaving the
 * server (ASVS 5.0 V7.2.1, OWASP Session Management: session ids are never exposed or logged).
 * The storage layer computes the same value in SQL (session-store.ts).
 */
export const SESSION_HANDLE_LABEL = 'keyward session handle:';
export function sessionHandle(id: string): string {
  return sha256Hex(`${SESSION_HANDLE_LABEL}${id}`);
}

/** The session token: `id.secret`, only SHA-256(secret) stored. */
export const newSessionToken = newIdSecretToken;
export const parseSessionToken = parseIdSecretToken;
export { secretMatches };
