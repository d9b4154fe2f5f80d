import type { Deps } from '../shared/deps.ts';
import type { User } from '../account/user.ts';
import type { Instance } from '../instance/instance.ts';
import { lockNoticeMail } from '../mail/templates.ts';
import { sealMail } from '../mail/seal-mail.ts';
import { SYSTEM_ACTOR, userEvent, type AuditClient, type NewAuditEvent } from '../audit/audit-event.ts';
import { ACCOUNT_POLICY, IP_POLICY, ipKey, isNotableLock, type Factor } from './throttle.ts';

/**
 * After a reserved attempt failed: counts it against the client's IP too, and when the attempt
 * started a lock (or reached the hard limit) tells the account's owner by email (SPEC rule 11).
 * For an unknown account nobody is told, and the answer to the client is the same.
 */
export async function attemptFailed(
  deps: Deps,
  attempt: number,
  client: AuditClient,
  owner: { user: User; instance: Instance; factor: Factor; failure: NewAuditEvent } | null,
): Promise<void> {
  const now = deps.clock.now();
  const ip = client.ip;
  const locked = owner !== null && isNotableLock(attempt, ACCOUNT_POLICY);
  // The failure (and a lock it starts) is logged in the statement that counts it against the IP.
  const audit = owner
    ? [
        owner.failure,
        ...(locked
          ? [
              userEvent(
                now,
                'account.locked',
                owner.instance.id,
                owner.user,
                client,
                { factor: owner.factor, failures: attempt, permanent: attempt === ACCOUNT_POLICY.hardLimit },
                SYSTEM_ACTOR,
              ),
            ]
          : []),
      ]
    : [];
  await deps.stores.throttles.recordFailure(ip ? [{ key: ipKey(ip), decaySeconds: IP_POLICY.decaySeconds }] : [], now, audit);
  if (!owner || !locked) return;
  const mail = lockNoticeMail({
    to: owner.user.email,
    name: owner.user.name,
    instanceName: owner.instance.name,
    factor: owner.factor,
    failures: attempt,
    at: now,
    ip,
    permanent: attempt === ACCOUNT_POLICY.hardLimit,
  });
  await deps.stores.outbox.enqueue(owner.instance.id, sealMail(deps.secretBox, mail), now);
  deps.mailQueued();
}
