import { newIdSecretToken, parseIdSecretToken, secretMatches } from '../../crypto/token.ts';
import { sha256Hex } from '../../crypto/hash.ts';

/** The second factor a session verified: the app's code, or the emailed backup code (recovery only). */
export type SecondFactorKind = 'totp' | 'backup_code';

/** Where a login stands: only `done` is a full session (SPEC §3 login steps). */
export type LoginStage = 'done' | 'verify' | 'setup' | 'change_password';

export interface Session {
  id: string;
  instanceId: string;
  userId: string;
  stage: LoginStage;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** When a second factor was last verified in this session; null when it skipped the code. */
  secondFactorAt: Date | null;
  /** Which factor that was: only a TOTP code counts as fresh for sensitive actions (issue 10 item 4). */
  secondFactorKind: SecondFactorKind | null;
  /** An authenticator enrolment started by this session and not yet confirmed. */
  pendingTotp: { secretSealed: string; expiresAt: Date } | null;
}

/**
 * NIST SP 800-63B (rev. 3 §4.2.3, AAL2): re-authenticate after 30 minutes idle and at least every
 * 12 hours. The checklist's SES-05/SES-06 defaults.
 */
export const SESSION_IDLE_SECONDS = 30 * 60;
export const SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60;
/** last_seen_at is written at most this often, so most authenticated requests only read. */
export const SESSION_TOUCH_SECONDS = 60;

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
