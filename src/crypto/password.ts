import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { Semaphore } from './semaphore.ts';

/**
 * argon2id with OWASP's minimum (m=19456 KiB, t=2, p=1). Each hash holds ~19 MiB, so hashing runs
 * at most one per core: under a login flood memory stays flat and requests queue instead.
 */
export const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** false for a wrong password and for a malformed stored hash. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** Spends the same work as verify() on a throwaway hash: used when there is no account. */
  verifyDummy(password: string): Promise<void>;
}

export async function createPasswordHasher(concurrency = availableParallelism()): Promise<PasswordHasher> {
  const gate = new Semaphore(Math.max(1, concurrency));
  // Why: unknown accounts must cost one argon2id verification too, or timing reveals which
  // emails exist (OWASP ASVS 2.2, SPEC rule 11).
  const dummyHash = await hash('keyward-dummy-password-for-timing', ARGON2_OPTIONS);
  const verifyHash = (stored: string, password: string) =>
    gate.run(() => verify(stored, password).catch(() => false));
  return {
    hash: (password) => gate.run(() => hash(password, ARGON2_OPTIONS)),
    verify: verifyHash,
    verifyDummy: async (password) => {
      await verifyHash(dummyHash, password);
    },
  };
}
