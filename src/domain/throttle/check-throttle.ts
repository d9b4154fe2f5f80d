import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { HashSlot } from '../../crypto/password.ts';
import {
  IP_POLICY,
  ACCOUNT_POLICY,
  clientAddressKey,
  ipKey,
  retryAfterSeconds,
  type ThrottleKey,
  type ThrottlePolicy,
  type ThrottleStates,
} from './throttle.ts';

/** What a lock stops: logging in with the password, entering a login code, or confirming a sensitive change. */
export type LockedAction = 'password' | 'code' | 'step_up';

/**
 * The sentence of a lock, fitting what the person was doing (issue 13), with the wait in minutes.
 * Why no more than that: the same words for a known and an unknown account (SPEC rule 11).
 */
export function lockedMessage(action: LockedAction, retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  const wait = minutes >= 120 ? `about ${Math.round(minutes / 60)} hours` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const what = {
    password: 'Too many wrong passwords: logging in to this account is locked for now.',
    code: 'Too many wrong codes: entering a code for this account is locked for now.',
    step_up: 'Too many wrong codes: confirming changes with a code is locked for now.',
  }[action];
  return `${what} Try again in ${wait}.`;
}

/**
 * Takes one attempt on an account key, and on the client's address key, before the credential is
 * evaluated, and returns its number. Why reserve first, both keys in one statement: read-then-count
 * let a parallel burst see the old counts and be evaluated in full, on the account (RL-01) and on
 * the address (RL-05, issue 10 item 8). The attempt counts as a failure until a success clears the
 * account key and gives the address its attempt back. A locked key (or a locked client address)
 * refuses the attempt unevaluated, so a correct password and a wrong one get the same answer.
 */
export async function reserveAttempt(
  deps: Deps,
  accountKey: ThrottleKey,
  states: ThrottleStates,
  ip: string | null,
  now: Date,
  policy: ThrottlePolicy = ACCOUNT_POLICY,
  action: LockedAction = 'code',
): Promise<number> {
  const address = ip ? ipKey(ip) : null;
  const attempt = await deps.stores.throttles.reserve(accountKey, policy, now, address ? { key: address, policy: IP_POLICY } : undefined);
  if (attempt === 'ip_locked') {
    // The lookup's state may be older than the burst that locked the address: then the base lock.
    const wait = retryAfterSeconds(states.get(address!) ?? null, now, IP_POLICY);
    throw new DomainError('rate_limited', 'Too many failed attempts from your network. Try again later.', {
      retryAfterSeconds: wait > 0 ? wait : IP_POLICY.baseLockSeconds,
    });
  }
  if (attempt === 'locked') {
    const wait = retryAfterSeconds(states.get(accountKey) ?? null, now, policy);
    const retry = wait <= 0 ? policy.baseLockSeconds : Number.isFinite(wait) ? wait : 24 * 60 * 60;
    throw new DomainError('locked', lockedMessage(action, retry), { retryAfterSeconds: retry, reason: action });
  }
  return attempt;
}

/**
 * A place in the argon2id queue for this client's verification, asked before anything else of a
 * login step, so the answer cannot depend on the account (RL-06). Refused: 429 when the client's
 * address already holds its share, 503 when the queue is full, both with Retry-After (issue 10
 * item 8: one address must not make everybody else wait).
 */
export function admitToHasher(deps: Deps, ip: string | null): HashSlot {
  const slot = deps.hasher.admit(ip ? clientAddressKey(ip) : null);
  if (slot === 'client')
    throw new DomainError('rate_limited', 'Too many sign-ins from your network at once. Try again in a moment.', { retryAfterSeconds: 1 });
  if (slot === 'full') throw new DomainError('server_busy', 'The service is busy. Try again in a moment.', { retryAfterSeconds: 2 });
  return slot;
}
