import { DomainError } from '../shared/errors.ts';
import type { Deps } from '../shared/deps.ts';
import type { ActiveSession } from '../session/session-store.ts';
import { reserveAttempt } from '../throttle/check-throttle.ts';
import { attemptFailed, userOwner } from '../throttle/record-failure.ts';
import { passwordKey } from '../throttle/throttle.ts';
import { userEvent, type AuditClient } from '../audit/audit-event.ts';
import { normalizePassword } from './password-rules.ts';
import { emailKey } from './user.ts';

/**
 * Re-authentication with the current password inside a full session (a factor change, issue 10
 * item 5). Why it counts on the login's password key: a stolen session cookie must not become a
 * password-guessing oracle without a lockout (SPEC rule 11, checklist RL-01), as for the password
 * change. Refused unevaluated while the key is locked; a wrong password is a counted failure; the
 * right one clears the key like a successful login.
 */
export async function verifyCurrentPassword(
  deps: Deps,
  active: Pick<ActiveSession, 'user' | 'instance' | 'throttles'>,
  password: string,
  client: AuditClient,
  during: string,
): Promise<void> {
  const { user, instance } = active;
  const now = deps.clock.now();
  const accountKey = passwordKey(instance.slug, emailKey(user.email));
  const attempt = await reserveAttempt(deps, accountKey, active.throttles, client.ip, now);
  const hashes = await deps.stores.forInstance(instance.id).passwords.findHashes(user.id, 0);
  if (!hashes?.current || !(await deps.hasher.verify(hashes.current, normalizePassword(password)))) {
    const failure = userEvent(now, 'step_up.failed', instance.id, user, client, { factor: 'password', during });
    await attemptFailed(deps, attempt, client, userOwner(user, instance, 'password', failure, client));
    throw new DomainError('invalid_credentials', 'The current password is not correct.', { field: 'currentPassword' });
  }
  await deps.stores.throttles.clear([accountKey]);
}
