import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { IP_POLICY, ACCOUNT_POLICY, ipKey, retryAfterSeconds, type ThrottleState } from './throttle.ts';

/**
 * Takes one attempt on an account key before the credential is evaluated, and returns its number.
 * Why reserve first: read-then-count would let a burst of parallel guesses all see the old count
 * and all be evaluated (RL-01). The attempt counts as a failure until a success clears the key. A
 * locked key (and a locked client IP) refuses the attempt unevaluated and uncounted, so a correct
 * password and a wrong one get the same answer while locked.
 */
export async function reserveAttempt(deps: Deps, accountKey: string, states: Map<string, ThrottleState>, ip: string | null, now: Date): Promise<number> {
  const ipWait = ip ? retryAfterSeconds(states.get(ipKey(ip)) ?? null, now, IP_POLICY) : 0;
  if (ipWait > 0) {
    throw new DomainError('rate_limited', 'Too many failed attempts from your network. Try again later.', { retryAfterSeconds: ipWait });
  }
  const attempt = await deps.stores.throttles.reserve(accountKey, ACCOUNT_POLICY, now);
  if (attempt === null) {
    const wait = retryAfterSeconds(states.get(accountKey) ?? null, now, ACCOUNT_POLICY);
    const retry = wait <= 0 ? ACCOUNT_POLICY.baseLockSeconds : Number.isFinite(wait) ? wait : 24 * 60 * 60;
    throw new DomainError('locked', 'Too many failed attempts. This sign-in method is locked for a while.', { retryAfterSeconds: retry });
  }
  return attempt;
}
