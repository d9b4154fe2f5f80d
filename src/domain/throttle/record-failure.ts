import type { Deps } from '../shared/deps.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { lockNoticeMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { ACCOUNT_POLICY, IP_POLICY, ipKey, isNotableLock, type Factor } from './throttle.ts';

/**
 * Counts a failed attempt against the account key and the client's IP. When the count starts a
 * lock (or reaches the hard limit) the account's owner is told by email (SPEC rule 11); for an
 * unknown account nobody is, and the answer to the client is the same.
 */
export async function recordFailure(
  deps: Deps,
  accountKey: string,
  ip: string | null,
  owner: { user: User; instance: Instance; factor: Factor } | null,
): Promise<void> {
  const now = deps.clock.now();
  const keys = [{ key: accountKey, decaySeconds: ACCOUNT_POLICY.decaySeconds }];
  if (ip) keys.push({ key: ipKey(ip), decaySeconds: IP_POLICY.decaySeconds });
  const counts = await deps.stores.throttles.recordFailure(keys, now);
  const failures = counts.get(accountKey) ?? 0;
  if (!owner || !isNotableLock(failures, ACCOUNT_POLICY)) return;
  const mail = lockNoticeMail({
    to: owner.user.email,
    name: owner.user.name,
    instanceName: owner.instance.name,
    factor: owner.factor,
    failures,
    at: now,
    ip,
    permanent: failures === ACCOUNT_POLICY.hardLimit,
  });
  await deps.stores.outbox.enqueue(owner.instance.id, sealMail(deps.secretBox, mail), now);
  deps.mailQueued();
}
