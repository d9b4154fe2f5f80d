import { randomBytes } from 'node:crypto';

/** URL-safe random token with `bytes` bytes of entropy (base64url, no padding). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Random id for rows that are looked up by it (15 bytes → 120 bits, 20 base64url characters),
 * never starting with '-'. Why: an id is a CLI argument (`keyward protected-app delete SLUG ID`),
 * and the CLI's parser read `-v6zB…` as an unknown option: one id in 64 could not be given
 * (a CI run failed on one). Drawing again when the first character is '-' costs 0.02 bits.
 */
export function randomId(): string {
  for (;;) {
    const id = randomBytes(15).toString('base64url');
    if (id[0] !== '-') return id;
  }
}
