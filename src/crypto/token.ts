import { randomBytes } from 'node:crypto';
import { constantTimeEqual, sha256Hex } from './hash.ts';

/**
 * Bearer tokens `id.secret` (lucia v3 pattern): a 120-bit id to look the row up and a 256-bit
 * secret of which only the SHA-256 is stored, compared in constant time (ASVS 7.2.3: ≥ 128 bits
 * from a CSPRNG). A database leak yields no usable token.
 */
export interface IdSecretToken {
  id: string;
  secret: string;
  /** `id.secret`, what a cookie carries. */
  token: string;
  secretHash: string;
}

export function newIdSecretToken(): IdSecretToken {
  const id = randomBytes(15).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${id}.${secret}`, secretHash: sha256Hex(secret) };
}

export const TOKEN_ID = /^[A-Za-z0-9_-]{20}$/;
export const TOKEN_SECRET = /^[A-Za-z0-9_-]{43}$/;
const TOKEN = /^([A-Za-z0-9_-]{20})\.([A-Za-z0-9_-]{43})$/;

/** null for anything that is not a token we could have issued. */
export function parseIdSecretToken(value: string | undefined): { id: string; secret: string } | null {
  const match = value ? TOKEN.exec(value) : null;
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  return constantTimeEqual(sha256Hex(secret), storedHash);
}
