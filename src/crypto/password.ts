import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { Admission, Semaphore } from './semaphore.ts';

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

/** A place in the hashing queue for one login verification (see PasswordHasher.admit). */
export interface HashSlot {
  readonly client: string | null;
}

export interface PasswordHasher {
  /** How many hashes and verifications run at once (one per core by default); more wait their turn in order. */
  readonly concurrency: number;
  hash(password: string): Promise<string>;
  /** false for a wrong password and for a malformed stored hash. With `slot`, runs in that place and gives it back. */
  verify(storedHash: string, password: string, slot?: HashSlot): Promise<boolean>;
  /** Spends the same work as verify() on a throwaway hash: used when there is no account. */
  verifyDummy(password: string, slot?: HashSlot): Promise<void>;
  /**
   * A place in the bounded queue for one verification by `client` (an address key), taken before
   * anything else of a login step: a slot, or 'client' when this client already holds its share,
   * or 'full' when the queue is full. A slot not used by verify must be given back with release().
   */
  admit(client: string | null): HashSlot | 'client' | 'full';
  release(slot: HashSlot): void;
  /** The queue now: hashes running and waiting behind them (the argon2 queue metrics, SPEC §8). */
  stats(): { running: number; waiting: number };
}

/** What one argon2id computation took, from its start (not its wait in the queue) to its end. */
export type HashObserver = (kind: 'hash' | 'verify', seconds: number) => void;

export interface HashQueueOptions {
  /** Verifications waiting behind the running ones; more are refused. Default 32 per running one. */
  queueLength?: number;
  /** Places one client may hold (running and waiting). Default 8. */
  perClient?: number;
  /** Told the duration of each hash and verification (the metrics of SPEC §8). */
  observe?: HashObserver;
}

export const DEFAULT_QUEUE_PER_CORE = 32;
export const DEFAULT_PER_CLIENT = 8;

export async function createPasswordHasher(concurrency = availableParallelism(), options: HashQueueOptions = {}): Promise<PasswordHasher> {
  const running = Math.max(1, concurrency);
  const gate = new Semaphore(running);
  // Why a bounded queue with a share per address: with an unbounded FIFO one client with a burst
  // of 150 logins made everybody else wait 13.5 s (issue 10 item 8; OWASP ASVS 5.0 2.4.1,
  // anti-automation). Now a burst beyond the share is refused at once and the others still pass.
  const admission = new Admission(
    running + (options.queueLength ?? DEFAULT_QUEUE_PER_CORE * running),
    options.perClient ?? DEFAULT_PER_CLIENT,
  );
  const given = new WeakSet<HashSlot>();
  const release = (slot: HashSlot) => {
    if (given.has(slot)) return;
    given.add(slot);
    admission.give(slot.client);
  };
  // Why: unknown accounts must cost one argon2id verification too, or timing reveals which
  // emails exist (OWASP ASVS 2.2, SPEC rule 11).
  const dummyHash = await hash('keyward-dummy-password-for-timing', ARGON2_OPTIONS);
  const observe = options.observe;
  const timed = <T>(kind: 'hash' | 'verify', work: () => Promise<T>): (() => Promise<T>) =>
    observe
      ? () => {
          const started = process.hrtime.bigint();
          return work().finally(() => observe(kind, Number(process.hrtime.bigint() - started) / 1e9));
        }
      : work;
  const verifyHash = (stored: string, password: string, slot?: HashSlot) =>
    gate.run(timed('verify', () => verify(stored, password).catch(() => false))).finally(() => slot && release(slot));
  return {
    concurrency: running,
    hash: (password) => gate.run(timed('hash', () => hash(password, ARGON2_OPTIONS))),
    verify: verifyHash,
    verifyDummy: async (password, slot) => {
      await verifyHash(dummyHash, password, slot);
    },
    admit: (client) => {
      const taken = admission.take(client);
      return taken === 'ok' ? { client } : taken;
    },
    release,
    stats: () => ({ running: gate.running, waiting: gate.pending }),
  };
}
