import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import { IP_POLICY, ipKey, linkKey, retryAfterSeconds, type ThrottlePolicy } from '../throttle/throttle.ts';

/**
 * Per password link (reset or invitation): 4 free refusals, then 1, 2, 4 … 60 minutes, and dead
 * after 20 (ask for a new one). Why: each attempt costs argon2id work (the history check and the
 * new hash), so one link must not buy unlimited work (OWASP ASVS 5.0 V6.3.1, checklist RL-01).
 */
export const LINK_POLICY: ThrottlePolicy = { lockFrom: 5, baseLockSeconds: 60, maxLockSeconds: 3600, hardLimit: 20, decaySeconds: null };

const tooMany = (retryAfterSeconds: number) =>
  new DomainError('rate_limited', 'Too many attempts with this link or from your network. Try again later.', { retryAfterSeconds });

/** Refuses (429) a client address that is locked under the per-IP policy; before any lookup or hashing. */
export async function refuseLockedAddress(deps: Deps, ip: string | null, now: Date): Promise<void> {
  if (!ip) return;
  const states = await deps.stores.throttles.find([ipKey(ip)]);
  const wait = retryAfterSeconds(states.get(ipKey(ip)) ?? null, now, IP_POLICY);
  if (wait > 0) throw tooMany(wait);
}

/**
 * Takes one attempt on the link, atomically (a burst of parallel attempts sees each other's
 * counts); 429 when the link is locked. Attempts count until the link is used, which ends it.
 */
export async function reserveLinkAttempt(deps: Deps, tokenHash: string, now: Date): Promise<void> {
  const key = linkKey(tokenHash);
  // reserve() answers the new count, or 'locked' (it answered null before the merge of review-c).
  if (typeof (await deps.stores.throttles.reserve(key, LINK_POLICY, now)) === 'number') return;
  const state = (await deps.stores.throttles.find([key])).get(key) ?? null;
  const wait = retryAfterSeconds(state, now, LINK_POLICY);
  throw tooMany(wait > 0 && Number.isFinite(wait) ? wait : LINK_POLICY.maxLockSeconds);
}

/** Codes whose refusal counts against the client's address (a wrong TOTP code counts itself already). */
const COUNTED = new Set(['forbidden', 'weak_password', 'password_reused', 'invalid_request', 'admin_recovery_required']);

/** Counts a refused link attempt against the client's address (IP_POLICY, shared with logins). */
export async function countLinkRefusal(deps: Deps, error: unknown, ip: string | null, now: Date): Promise<void> {
  if (!ip || !(error instanceof DomainError) || !COUNTED.has(error.code)) return;
  await deps.stores.throttles.recordFailure([{ key: ipKey(ip), decaySeconds: IP_POLICY.decaySeconds }], now);
}
