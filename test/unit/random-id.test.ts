import { describe, expect, it } from 'vitest';
import { randomId } from '../../src/crypto/random.ts';

describe('randomId', () => {
  // An id is given to the CLI as an argument; one starting with '-' was read as an option
  // (test/forward-auth/protected-app-cli.test.ts failed on `-v6zB_8eXd4RhwK2cEsf`).
  it('is 20 base64url characters, distinct, and never starts with a dash (1 in 64 did)', () => {
    const ids = Array.from({ length: 10_000 }, () => randomId());
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{19}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Every other character still takes all 64 values.
    expect(new Set(ids.map((id) => id[1])).size).toBe(64);
  });
});
