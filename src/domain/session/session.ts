import { randomBytes } from 'node:crypto';
import { constantTimeEqual, sha256Hex } from '../../crypto/hash.ts';

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

export interface SessionToken {
  id: string;
  /** What the cookie carries: `id.secret`. */
  token: string;
  /** Only this SHA-256 of the secret is stored (lucia v3 pattern): a database leak yields no sessions. */
  secretHash: string;
}

/** 120-bit id for lookup plus a 256-bit secret (ASVS 7.2.3: ≥128 bits from a CSPRNG). */
export function newSessionToken(): SessionToken {
  const id = randomBytes(15).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${id}.${secret}`, secretHash: sha256Hex(secret) };
}

const TOKEN = /^([A-Za-z0-9_-]{20})\.([A-Za-z0-9_-]{43})$/;

/** null for anything that is not a token we could have issued. */
export function parseSessionToken(token: string | undefined): { id: string; secret: string } | null {
  const match = token ? TOKEN.exec(token) : null;
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  return constantTimeEqual(sha256Hex(secret), storedHash);
}
