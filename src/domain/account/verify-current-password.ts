import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { reserveAttempt } from '../throttle/check-throttle.ts';
import { attemptFailed, userOwner } from '../throttle/record-failure.ts';
import { ipKey, REAUTH_POLICY, reauthenticationKey } from '../throttle/throttle.ts';
import { attemptActor, userEvent, type AuditClient } from '../audit/audit-event.ts';
import { normalizePassword } from './password-rules.ts';

/**
 * Re-authentication with the current password inside a session: a factor change (issue 10 item 5)
 * or a password change (the forced one at login, `during` = 'login', or a voluntary one). Returns
 * the stored hashes (with `historyCount` previous ones) for the caller's next checks.
 *
 * Why a key of this session, not the account's password key: a stolen session cookie must not
 * become a password-guessing oracle (SPEC rule 11, RL-01), and it gets the same schedule and hard
 * limit on its own key; but strangers' failed logins on the account key must not lock the owner
 * out of the changes they need while attacked (RL-04). Refused unevaluated while locked; a wrong
 * password is a counted failure (the owner is mailed at a lock); the right one clears the key and
 * gives the address its reserved attempt back.
 */
export async function verifyCurrentPassword(
  deps: Deps,
  active: Pick<ActiveSession, 'session' | 'user' | 'instance' | 'throttles'>,
  password: string,
  client: AuditClient,
  during: string,
  historyCount = 0,
): Promise<{ current: string; previous: string[] }> {
  const { user, instance } = active;
  const now = deps.clock.now();
  const key = reauthenticationKey(active.session.id);
  const attempt = await reserveAttempt(deps, key, active.throttles, client.ip, now, REAUTH_POLICY, 'step_up');
  const hashes = await deps.stores.forInstance(instance.id).passwords.findHashes(user.id, historyCount);
  if (!hashes?.current || !(await deps.hasher.verify(hashes.current, normalizePassword(password)))) {
    const failure =
      during === 'login'
        ? userEvent(now, 'login.failed', instance.id, user, client, { factor: 'password', during }, attemptActor(user))
        : userEvent(now, 'step_up.failed', instance.id, user, client, { factor: 'password', during });
    await attemptFailed(deps, attempt, client, userOwner(user, instance, 'password', failure, client));
    throw new DomainError('invalid_credentials', 'The current password is not correct.', { field: 'currentPassword' });
  }
  await deps.stores.throttles.clear(client.ip ? [key, ipKey(client.ip)] : [key]);
  return { current: hashes.current, previous: hashes.previous };
}
