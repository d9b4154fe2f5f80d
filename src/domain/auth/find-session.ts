import { constantTimeEqual, sha256Hex } from '../../crypto/hash.ts';
import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { PrincipalProfile } from './profile.ts';
import type { ThrottleKey } from '../throttle/throttle.ts';
import type { ActiveAuthSession, AuthSessionStore } from './auth-session-store.ts';
import { lookupTimes, parseAuthToken } from './session-rules.ts';

/**
 * The session behind a cookie value, for either principal, or null. One statement: lookup, idle
 * and absolute expiry by the profile's lifetimes, the idle refresh (SES-05, SES-06, SES-08); the
 * stored hash of the secret is then compared in constant time.
 */
export async function findSession<A extends ActiveAuthSession>(
  deps: Deps,
  profile: PrincipalProfile,
  store: AuthSessionStore<A>,
  token: string | undefined,
  throttles?: { ipKey: ThrottleKey | null },
): Promise<A | null> {
  const parsed = parseAuthToken(profile, token);
  if (!parsed) return null;
  const secretHash = sha256Hex(parsed.secret);
  const active = await store.findActive(parsed.id, secretHash, lookupTimes(profile, deps.clock.now()), throttles);
  if (!active || !constantTimeEqual(secretHash, active.secretHash)) return null;
  return active;
}

/**
 * A session that may call a login step: found, and at one of `stages`. A session at another
 * stage cannot call the step (MFA-01, SPEC rule 12: a half-authenticated session can call only
 * its next step).
 */
export function requireStage<A extends ActiveAuthSession>(active: A | null, stages: ReadonlyArray<A['session']['stage']>): A {
  if (!active) throw new DomainError('unauthenticated', 'Your sign-in has expired. Log in again.');
  if (!stages.includes(active.session.stage)) throw new DomainError('forbidden', 'This step is not available now.');
  return active;
}

/** Ends the session behind a cookie value (logout); unknown, malformed or other-kind values are ignored. */
export async function endSession(
  profile: PrincipalProfile,
  store: AuthSessionStore<ActiveAuthSession>,
  token: string | undefined,
): Promise<void> {
  const parsed = parseAuthToken(profile, token);
  if (parsed) await store.delete(parsed.id, sha256Hex(parsed.secret));
}
