import { randomBytes } from 'node:crypto';

/** URL-safe random token with `bytes` bytes of entropy (base64url, no padding). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Random id for rows that are looked up by it (20 bytes → 160 bits, base64url). */
export function randomId(): string {
  return randomBytes(15).toString('base64url');
}
