import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a UTF-8 string, hex encoded. Used for high-entropy tokens only, never passwords. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two strings in time independent of where they differ (OWASP ASVS 2.9). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Why: timingSafeEqual throws on different lengths; compare against itself to spend the same time.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
