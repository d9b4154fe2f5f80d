import { DomainError } from '../shared/errors.ts';
import { IP_POLICY, ACCOUNT_POLICY, retryAfterSeconds, type ThrottleState } from './throttle.ts';

/**
 * Refuses an attempt while its account key or the client's IP is locked, before any credential is
 * evaluated: a locked correct password and a locked wrong one get the same answer (RL-01).
 */
export function assertNotThrottled(account: ThrottleState | null, ip: ThrottleState | null, now: Date): void {
  const ipWait = retryAfterSeconds(ip, now, IP_POLICY);
  if (ipWait > 0) {
    throw new DomainError('rate_limited', 'Too many failed attempts from your network. Try again later.', { retryAfterSeconds: ipWait });
  }
  const accountWait = retryAfterSeconds(account, now, ACCOUNT_POLICY);
  if (accountWait > 0) {
    const retry = Number.isFinite(accountWait) ? accountWait : 24 * 60 * 60;
    throw new DomainError('locked', 'Too many failed attempts. This sign-in method is locked for a while.', { retryAfterSeconds: retry });
  }
}
